//! The resource names the control interface accepts.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ControlError;

/// A kind of record the control interface can create, change or delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Users,
    Projects,
    ProjectDates,
    Groups,
    Forms,
    FormCompletions,
    Campaigns,
    Certificates,
    Organizations,
}

impl Resource {
    /// Every resource, in the order the docs list them.
    pub const ALL: [Resource; 9] = [
        Resource::Users,
        Resource::Projects,
        Resource::ProjectDates,
        Resource::Groups,
        Resource::Forms,
        Resource::FormCompletions,
        Resource::Campaigns,
        Resource::Certificates,
        Resource::Organizations,
    ];

    /// The snake-case name used in control routes.
    pub fn name(self) -> &'static str {
        match self {
            Resource::Users => "users",
            Resource::Projects => "projects",
            Resource::ProjectDates => "project_dates",
            Resource::Groups => "groups",
            Resource::Forms => "forms",
            Resource::FormCompletions => "form_completions",
            Resource::Campaigns => "campaigns",
            Resource::Certificates => "certificates",
            Resource::Organizations => "organizations",
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Resource {
    type Err = ControlError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let normal = text.trim().to_ascii_lowercase().replace('-', "_");
        Resource::ALL
            .into_iter()
            .find(|r| r.name() == normal)
            .ok_or_else(|| ControlError::UnknownResource(text.to_owned()))
    }
}
