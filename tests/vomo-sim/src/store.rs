//! The record store of one simulator: every organisation's data plus the few indexes it needs.

use std::collections::HashMap;

use crate::derive::{self, Text};
use crate::model::{
    Campaign, Certificate, Completion, Form, Group, Org, Participant, Profile, Project,
    ProjectDate, Secs, User, slot,
};

/// All records, addressed by 1-based ids that are positions in their vectors.
#[derive(Debug, Default)]
pub struct Store {
    pub seed: u64,
    pub orgs: Vec<Org>,
    pub tokens: HashMap<String, u32>,
    pub users: Vec<User>,
    pub profiles: HashMap<u32, Profile>,
    pub emails: HashMap<String, u32>,
    pub projects: Vec<Project>,
    pub dates: Vec<ProjectDate>,
    pub participants: Vec<Participant>,
    pub participations: HashMap<u32, Vec<u32>>,
    pub groups: Vec<Group>,
    pub forms: Vec<Form>,
    pub completions: Vec<Completion>,
    pub campaigns: Vec<Campaign>,
    pub certificates: Vec<Certificate>,
    pub next_owner_id: u32,
    pub next_field_id: u32,
    pub next_response_id: u32,
    generation: u64,
}

/// A user's profile values, borrowed when explicit and derived otherwise.
#[derive(Clone, Debug)]
pub struct ProfileView<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: Text<'a>,
    pub phone: Text<'a>,
    pub address: Text<'a>,
    pub birthday: Secs,
}

impl ProfileView<'_> {
    /// Copies the view into an owned profile.
    pub fn to_profile(&self) -> Profile {
        Profile {
            first_name: self.first_name.to_string(),
            last_name: self.last_name.to_string(),
            email: self.email.to_string(),
            phone: self.phone.to_string(),
            address: self.address.to_string(),
            birthday: self.birthday,
        }
    }
}

impl Store {
    /// An empty store whose derived values come from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { seed, ..Self::default() }
    }

    /// A counter that moves on every write, so cached listings know they are stale.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Records that a write happened.
    pub fn bump(&mut self) {
        self.generation += 1;
    }

    pub fn org(&self, id: u64) -> Option<&Org> {
        self.orgs.get(slot(id)?)
    }

    /// The live organisation `token` belongs to.
    pub fn org_by_token(&self, token: &str) -> Option<u32> {
        let id = self.tokens.get(token).copied()?;
        self.org(u64::from(id)).filter(|org| !org.deleted).map(|org| org.id)
    }

    pub fn org_by_slug(&self, slug: &str) -> Option<&Org> {
        self.orgs.iter().find(|org| org.slug == slug && !org.deleted)
    }

    /// Whether `org` is `root` or one of its live descendants: the organisation family.
    pub fn in_family(&self, root: u32, org: u32) -> bool {
        let mut current = Some(org);
        let mut steps = 0;
        while let Some(id) = current {
            let Some(node) = self.org(u64::from(id)) else {
                return false;
            };
            if node.deleted || steps > self.orgs.len() {
                return false;
            }
            if id == root {
                return true;
            }
            steps += 1;
            current = node.parent;
        }
        false
    }

    /// A lookup table indexed by org id telling whether the org belongs to `root`'s family.
    pub fn family_mask(&self, root: u32) -> Vec<bool> {
        let mut mask = vec![false; self.orgs.len() + 1];
        for org in &self.orgs {
            mask[org.id as usize] = self.in_family(root, org.id);
        }
        mask
    }

    /// The ids of `root` and its descendants, ascending.
    pub fn family(&self, root: u32) -> Vec<u32> {
        let mask = self.family_mask(root);
        (1..mask.len() as u32).filter(|&id| mask[id as usize]).collect()
    }

    pub fn user(&self, id: u64) -> Option<&User> {
        self.users.get(slot(id)?)
    }

    pub fn user_mut(&mut self, id: u64) -> Option<&mut User> {
        self.users.get_mut(slot(id)?)
    }

    /// The profile values of user `id` (which must exist).
    pub fn profile(&self, id: u32) -> ProfileView<'_> {
        if let Some(profile) = self.profiles.get(&id) {
            return ProfileView {
                first_name: &profile.first_name,
                last_name: &profile.last_name,
                email: Text::Plain(&profile.email),
                phone: Text::Plain(&profile.phone),
                address: Text::Plain(&profile.address),
                birthday: profile.birthday,
            };
        }
        let (seed, id) = (self.seed, u64::from(id));
        ProfileView {
            first_name: derive::first_name(seed, id),
            last_name: derive::last_name(seed, id),
            email: Text::Email { seed, id },
            phone: Text::Phone { seed, id },
            address: Text::Address { seed, id },
            birthday: derive::birthday(seed, id),
        }
    }

    /// Gives user `id` explicit profile values, keeping the email index current.
    pub fn set_profile(&mut self, id: u32, profile: Profile) {
        if let Some(old) = self.profiles.get(&id) {
            self.emails.remove(&old.email.to_lowercase());
        }
        self.emails.insert(profile.email.to_lowercase(), id);
        self.profiles.insert(id, profile);
        if let Some(user) = self.user_mut(u64::from(id)) {
            user.explicit = true;
        }
    }

    /// The user whose email equals `email`, ignoring case (deleted users excluded).
    pub fn user_by_email(&self, email: &str) -> Option<u32> {
        let wanted = email.trim().to_lowercase();
        if let Some(&id) = self.emails.get(&wanted) {
            return self.user(u64::from(id)).filter(|u| !u.deleted).map(|_| id);
        }

        // Derived emails embed their id, so one candidate is enough.
        let id = derive::id_in_email(&wanted)?;
        let user = self.user(id)?;
        let matches = !user.explicit && !user.deleted && derive::email(self.seed, id) == wanted;
        matches.then_some(id as u32)
    }

    pub fn project(&self, id: u64) -> Option<&Project> {
        self.projects.get(slot(id)?)
    }

    pub fn date(&self, id: u64) -> Option<&ProjectDate> {
        self.dates.get(slot(id)?)
    }

    pub fn participant(&self, id: u64) -> Option<&Participant> {
        self.participants.get(slot(id)?)
    }

    pub fn group(&self, id: u64) -> Option<&Group> {
        self.groups.get(slot(id)?)
    }

    pub fn form(&self, id: u64) -> Option<&Form> {
        self.forms.get(slot(id)?)
    }

    pub fn completion(&self, id: u64) -> Option<&Completion> {
        self.completions.get(slot(id)?)
    }

    pub fn campaign(&self, id: u64) -> Option<&Campaign> {
        self.campaigns.get(slot(id)?)
    }

    pub fn certificate(&self, id: u64) -> Option<&Certificate> {
        self.certificates.get(slot(id)?)
    }

    /// The live participants of a project date, in id order.
    pub fn live_participants(&self, date: &ProjectDate) -> Vec<(u32, &Participant)> {
        date.participants
            .iter()
            .filter_map(|&id| Some((id, self.participant(u64::from(id))?)))
            .filter(|(_, p)| !p.cancelled)
            .collect()
    }

    /// The first live date of `project` starting at or after `now`.
    pub fn next_date(&self, project: &Project, now: Secs) -> Option<u32> {
        project
            .dates
            .iter()
            .filter_map(|&id| Some((id, self.date(u64::from(id))?)))
            .filter(|(_, date)| !date.deleted && date.starts >= now)
            .min_by_key(|(id, date)| (date.starts, *id))
            .map(|(id, _)| id)
    }

    /// Whether `group` has live subgroups.
    pub fn has_subgroups(&self, group: u32) -> bool {
        self.groups.iter().any(|g| !g.deleted && g.parent == Some(group))
    }

    /// Records that `participant` belongs to `user`, for the user detail's participations.
    pub fn index_participation(&mut self, user: u32, participant: u32) {
        self.participations.entry(user).or_default().push(participant);
    }
}
