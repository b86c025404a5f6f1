//! The records the simulator holds, kept compact: ids are implicit positions, times are seconds.

use serde::{Deserialize, Serialize};

/// Seconds since the epoch, UTC.
pub type Secs = i64;

/// One organisation; every organisation is a customer with its own token.
#[derive(Clone, Debug)]
pub struct Org {
    pub id: u32,
    pub parent: Option<u32>,
    pub name: String,
    pub slug: String,
    pub kind: &'static str,
    pub token: String,
    pub invitation_token: String,
    pub description: String,
    pub created: Secs,
    pub updated: Secs,
    pub deleted: bool,
}

/// One user, 32 bytes: names, email, phone and address derive from the seed unless the
/// user has an explicit [`Profile`].
#[derive(Clone, Copy, Debug)]
pub struct User {
    pub org: u32,
    pub created: Secs,
    pub updated: Secs,
    pub user_status: UserStatus,
    pub membership: Membership,
    pub role: Role,
    pub gender: Gender,
    pub deleted: bool,
    pub explicit: bool,
}

/// Profile values of a user that was written or mutated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub birthday: Secs,
}

/// Account status (`user_status`); the reference shows `VERIFIED` and publishes no enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    Verified,
    Unverified,
    Deactivated,
}

/// Status in the current organisation (`membership_status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Membership {
    Accepted,
    Pending,
    Removed,
}

/// Role in the current organisation (`membership_role`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Volunteer,
    Organizer,
    Admin,
}

/// `gender` as the reference spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gender {
    M,
    F,
    N,
}

/// Who may see a project (`privacy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Privacy {
    Public,
    Private,
    Unlisted,
}

/// A project: the long-lived template of its dates.
#[derive(Clone, Debug)]
pub struct Project {
    pub org: u32,
    pub name: String,
    pub description: String,
    pub anytime: bool,
    pub draft: bool,
    pub active: bool,
    pub allow_guests: bool,
    pub age_limit: u8,
    pub privacy: Privacy,
    pub author: Option<u32>,
    pub owners: Vec<Owner>,
    pub campaigns: Vec<u32>,
    pub place: Place,
    pub created: Secs,
    pub updated: Secs,
    pub published: Option<Secs>,
    pub dates: Vec<u32>,
    pub deleted: bool,
}

/// A project owner as the project webhook shows it.
#[derive(Clone, Copy, Debug)]
pub struct Owner {
    pub id: u32,
    pub user: u32,
    pub primary: bool,
    pub notify: bool,
    pub created: Secs,
    pub updated: Secs,
}

/// Where a project happens.
#[derive(Clone, Debug)]
pub struct Place {
    pub venue: String,
    pub street_number: u32,
    pub route: String,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
    pub lat: f64,
    pub lng: f64,
    pub timezone: String,
}

/// One scheduled occurrence of a project (a "happening").
#[derive(Clone, Debug)]
pub struct ProjectDate {
    pub project: u32,
    pub starts: Secs,
    pub ends: Secs,
    pub capacity: u32,
    pub created: Secs,
    pub updated: Secs,
    pub participants: Vec<u32>,
    pub deleted: bool,
}

/// One user's participation in one project date.
#[derive(Clone, Copy, Debug)]
pub struct Participant {
    pub date: u32,
    pub user: u32,
    pub signed_up: Secs,
    pub checked_in: Option<Secs>,
    pub checked_out: Option<Secs>,
    pub hours_centi: u32,
    pub verified: bool,
    pub lead: bool,
    pub guests: u8,
    pub cancelled: bool,
}

/// A group of users in one organisation.
#[derive(Clone, Debug)]
pub struct Group {
    pub org: u32,
    pub name: String,
    pub description: Option<String>,
    pub parent: Option<u32>,
    pub member_moniker: String,
    pub subgroup_moniker: String,
    pub created_by: Option<u32>,
    pub members: Vec<u32>,
    pub created: Secs,
    pub updated: Secs,
    pub deleted: bool,
}

/// A form template.
#[derive(Clone, Debug)]
pub struct Form {
    pub org: u32,
    pub name: String,
    pub description: String,
    pub form_type: String,
    pub slug: String,
    pub author: Option<u32>,
    pub fields: Vec<u32>,
    pub completions: Vec<u32>,
    pub created: Secs,
    pub updated: Secs,
    pub deleted: bool,
}

/// One user's filled-in form.
#[derive(Clone, Debug)]
pub struct Completion {
    pub form: u32,
    pub user: u32,
    pub project: Option<u32>,
    pub participation: Option<u32>,
    pub responses: Vec<FieldResponse>,
    pub created: Secs,
    pub updated: Secs,
    pub deleted: bool,
}

/// One answer inside a completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldResponse {
    pub id: u32,
    pub field: u32,
    pub value: String,
}

/// A campaign ("initiative" in the UI), read-only through the API.
#[derive(Clone, Debug)]
pub struct Campaign {
    pub org: u32,
    pub name: String,
    pub description: String,
    pub author: Option<u32>,
    pub created: Secs,
    pub updated: Secs,
    pub deleted: bool,
}

/// A certificate definition.
#[derive(Clone, Debug)]
pub struct Certificate {
    pub org: u32,
    pub name: String,
    pub description: String,
    pub expiration: String,
    pub created: Secs,
    pub updated: Secs,
    pub deleted: bool,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "VERIFIED",
            Self::Unverified => "UNVERIFIED",
            Self::Deactivated => "DEACTIVATED",
        }
    }
}

impl Membership {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "ACCEPTED",
            Self::Pending => "PENDING",
            Self::Removed => "REMOVED",
        }
    }
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Volunteer => "VOLUNTEER",
            Self::Organizer => "ORGANIZER",
            Self::Admin => "ADMIN",
        }
    }
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::M => "M",
            Self::F => "F",
            Self::N => "N",
        }
    }
}

/// Converts a 1-based id into a position in a record vector.
pub fn slot(id: u64) -> Option<usize> {
    usize::try_from(id).ok()?.checked_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_row_stays_compact() {
        assert!(std::mem::size_of::<User>() <= 32);
    }
}
