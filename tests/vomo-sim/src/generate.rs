//! The seeded data generator: the same seed and size always produce the same store.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::DataSize;
use crate::derive;
use crate::model::{
    Campaign, Certificate, Completion, FieldResponse, Form, Gender, Group, Membership, Org, Owner,
    Participant, Place, Privacy, Project, ProjectDate, Role, Secs, User, UserStatus,
};
use crate::store::Store;

/// 2020-01-01T00:00:00Z: generated records are created between this and the clock's start.
const HISTORY_START: Secs = 1_577_836_800;
const DAY: Secs = 86_400;

const ORG_PLACES: &[&str] = &[
    "Harbor",
    "Northside",
    "Riverbend",
    "Maple Valley",
    "Eastgate",
    "Summit",
    "Lakeshore",
    "Westfield",
    "Cedar Hill",
    "Brightwater",
];
const ORG_CAUSES: &[&str] = &[
    "Food Bank",
    "Animal Rescue",
    "Literacy Project",
    "Habitat Crew",
    "Youth League",
    "Senior Outreach",
    "Clean Water Fund",
    "Community Garden",
];
const PROJECT_NAMES: &[&str] = &[
    "Park Cleanup",
    "Food Drive",
    "Tutoring Night",
    "Tree Planting",
    "Shelter Shift",
    "Coat Collection",
    "River Survey",
    "Meal Delivery",
    "Library Sort",
    "Blood Drive",
];
const GROUP_NAMES: &[&str] =
    &["Weekend Crew", "Drivers", "Team Leads", "Kitchen Help", "Greeters", "Board"];
const FORM_NAMES: &[(&str, &str)] =
    &[("Liability Waiver", "WAIVER"), ("Intake Survey", "SURVEY"), ("Skills Profile", "PROFILE")];
const ANSWERS: &[&str] = &["M", "Yes", "No", "Agree", "Weekends", "Spanish", "Driving"];
const CAMPAIGN_NAMES: &[&str] = &["Spring Drive", "Giving Week", "Back to School", "Winter Warmth"];
const CERTIFICATE_NAMES: &[(&str, &str)] =
    &[("CPR Certified", "2_YEARS"), ("Food Handler", "1_YEAR"), ("Forklift Safety", "NEVER")];

/// Builds the store for `seed` and `size`, with every timestamp at or before `now`.
pub fn generate(seed: u64, size: &DataSize, now: Secs) -> Store {
    let mut store = Store::new(seed);
    let mut maker = Generator { rng: ChaCha8Rng::seed_from_u64(seed), now, members: Vec::new() };

    maker.orgs(&mut store, size);
    maker.users(&mut store, size);
    for org in 1..=store.orgs.len() as u32 {
        maker.campaigns(&mut store, org, size);
        maker.certificates(&mut store, org, size);
        maker.projects(&mut store, org, size);
        maker.groups(&mut store, org, size);
        maker.forms(&mut store, org, size);
    }
    store
}

struct Generator {
    rng: ChaCha8Rng,
    now: Secs,
    /// Accepted members of each organisation, indexed by org id - 1.
    members: Vec<Vec<u32>>,
}

impl Generator {
    fn orgs(&mut self, store: &mut Store, size: &DataSize) {
        for _ in 0..size.customers {
            let parent = self.org(store, None);
            for _ in 0..size.children_per_customer {
                self.org(store, Some(parent));
            }
        }
        self.members = vec![Vec::new(); store.orgs.len()];
    }

    fn org(&mut self, store: &mut Store, parent: Option<u32>) -> u32 {
        let id = store.orgs.len() as u32 + 1;
        let place = ORG_PLACES[self.rng.random_range(0..ORG_PLACES.len())];
        let cause = ORG_CAUSES[self.rng.random_range(0..ORG_CAUSES.len())];
        let name = format!("{place} {cause}");
        let slug = format!("{}-{id}", name.to_lowercase().replace(' ', "-"));
        let token = derive::token(store.seed, u64::from(id));
        let created = self.past(HISTORY_START);

        store.tokens.insert(token.clone(), id);
        store.orgs.push(Org {
            id,
            parent,
            description: format!("{name} serves its neighbours."),
            name,
            slug,
            kind: "NPO",
            token,
            invitation_token: derive::token(store.seed ^ 0x1c, u64::from(id))[..12].to_owned(),
            created,
            updated: created,
            deleted: false,
        });
        id
    }

    fn users(&mut self, store: &mut Store, size: &DataSize) {
        let orgs = store.orgs.len() as u32;
        if orgs == 0 {
            return;
        }
        store.users.reserve_exact(size.users as usize);
        for index in 0..size.users {
            let org = self.rng.random_range(1..=orgs);
            let created = self.past(HISTORY_START);
            let updated = self.updated_after(created);
            let roll: u32 = self.rng.random_range(0..100);
            let user = User {
                org,
                created,
                updated,
                user_status: if roll < 85 { UserStatus::Verified } else { UserStatus::Unverified },
                membership: if roll % 20 == 7 { Membership::Pending } else { Membership::Accepted },
                role: match roll % 30 {
                    0 => Role::Admin,
                    1 | 2 => Role::Organizer,
                    _ => Role::Volunteer,
                },
                gender: [Gender::M, Gender::F, Gender::N][(roll % 3) as usize],
                deleted: false,
                explicit: false,
            };
            if user.membership == Membership::Accepted {
                self.members[org as usize - 1].push(index + 1);
            }
            store.users.push(user);
        }
    }

    fn campaigns(&mut self, store: &mut Store, org: u32, size: &DataSize) {
        for n in 0..size.campaigns_per_org {
            let created = self.past(HISTORY_START);
            let name = CAMPAIGN_NAMES[(n as usize + org as usize) % CAMPAIGN_NAMES.len()];
            store.campaigns.push(Campaign {
                org,
                name: format!("{name} {}", 2021 + n % 5),
                description: format!("{name}: a season of shared effort."),
                author: self.member(org),
                created,
                updated: self.updated_after(created),
                deleted: false,
            });
        }
    }

    fn certificates(&mut self, store: &mut Store, org: u32, size: &DataSize) {
        for n in 0..size.certificates_per_org {
            let (name, expiration) = CERTIFICATE_NAMES[n as usize % CERTIFICATE_NAMES.len()];
            let created = self.past(HISTORY_START);
            store.certificates.push(Certificate {
                org,
                name: name.to_owned(),
                description: format!("Holders are trained in {}.", name.to_lowercase()),
                expiration: expiration.to_owned(),
                created,
                updated: self.updated_after(created),
                deleted: false,
            });
        }
    }

    fn projects(&mut self, store: &mut Store, org: u32, size: &DataSize) {
        for _ in 0..size.projects_per_org {
            let id = store.projects.len() as u32 + 1;
            let created = self.past(HISTORY_START);
            let anytime = self.rng.random_bool(0.15);
            let draft = self.rng.random_bool(0.1);
            let mut project = Project {
                org,
                name: format!(
                    "{} #{id}",
                    PROJECT_NAMES[self.rng.random_range(0..PROJECT_NAMES.len())]
                ),
                description: "Bring gloves and a water bottle.".to_owned(),
                anytime,
                draft,
                active: self.rng.random_bool(0.9),
                allow_guests: self.rng.random_bool(0.5),
                age_limit: [0, 13, 16, 18][self.rng.random_range(0..4)],
                privacy: if self.rng.random_bool(0.85) {
                    Privacy::Public
                } else {
                    Privacy::Private
                },
                author: self.member(org),
                owners: self.owners(store, org, created),
                campaigns: self.campaign_refs(store, org),
                place: self.place(store.seed, id),
                created,
                updated: self.updated_after(created),
                published: (!draft).then_some(created),
                dates: Vec::new(),
                deleted: false,
            };
            if !anytime {
                project.dates = self.dates(store, id, org, size);
            }
            store.projects.push(project);
        }
    }

    fn owners(&mut self, store: &mut Store, org: u32, at: Secs) -> Vec<Owner> {
        let count = self.rng.random_range(1..=2);
        let mut owners: Vec<Owner> = Vec::new();
        for n in 0..count {
            let Some(user) = self.member(org) else { break };
            if owners.iter().any(|o| o.user == user) {
                continue;
            }
            store.next_owner_id += 1;
            owners.push(Owner {
                id: store.next_owner_id,
                user,
                primary: n == 0,
                notify: self.rng.random_bool(0.5),
                created: at,
                updated: at,
            });
        }
        owners
    }

    fn campaign_refs(&mut self, store: &Store, org: u32) -> Vec<u32> {
        let own: Vec<u32> = (1..=store.campaigns.len() as u32)
            .filter(|&id| store.campaigns[id as usize - 1].org == org)
            .collect();
        match own.len() {
            0 => Vec::new(),
            n if self.rng.random_bool(0.5) => vec![own[self.rng.random_range(0..n)]],
            _ => Vec::new(),
        }
    }

    fn place(&mut self, seed: u64, id: u32) -> Place {
        let (city, state, zip) = derive::city(seed, u64::from(id), 11);
        let (street, kind) = derive::street(seed, u64::from(id), 12);
        Place {
            venue: format!("{street} Community Center"),
            street_number: self.rng.random_range(1..2000),
            route: format!("{street} {kind}"),
            locality: city.to_owned(),
            region: state.to_owned(),
            postal_code: zip.to_string(),
            lat: 30.0 + f64::from(self.rng.random_range(0..1500_u32)) / 100.0,
            lng: -120.0 + f64::from(self.rng.random_range(0..4000_u32)) / 100.0,
            timezone: "America/Chicago".to_owned(),
        }
    }

    fn dates(&mut self, store: &mut Store, project: u32, org: u32, size: &DataSize) -> Vec<u32> {
        let today = self.now - self.now.rem_euclid(DAY);
        let mut ids = Vec::new();
        for n in 0..size.dates_per_project {
            // Spread shifts a week apart around the clock's start; half the projects also
            // have one today so `/projects/today` has entries.
            let week = i64::from(n) - i64::from(size.dates_per_project / 2);
            let day =
                if n == 0 && project.is_multiple_of(2) { today } else { today + week * 7 * DAY };
            let starts = day + DAY / 24 * self.rng.random_range(8..16);
            let ends = starts + DAY / 24 * self.rng.random_range(2..6);
            let id = store.dates.len() as u32 + 1;
            let created = (starts - 30 * DAY).min(self.now);
            store.dates.push(ProjectDate {
                project,
                starts,
                ends,
                capacity: self.rng.random_range(5..50),
                created,
                updated: created,
                participants: Vec::new(),
                deleted: false,
            });
            self.participants(store, id, org, size);
            ids.push(id);
        }
        ids
    }

    fn participants(&mut self, store: &mut Store, date: u32, org: u32, size: &DataSize) {
        let (starts, ends) = {
            let d = &store.dates[date as usize - 1];
            (d.starts, d.ends)
        };
        let past = ends <= self.now;
        let mut chosen: Vec<u32> = Vec::new();
        for _ in 0..size.participants_per_date {
            let Some(user) = self.member(org) else { break };
            if chosen.contains(&user) {
                continue;
            }
            chosen.push(user);
            let id = store.participants.len() as u32 + 1;
            let late = self.rng.random_range(0..15) * 60;
            store.participants.push(Participant {
                date,
                user,
                signed_up: starts - self.rng.random_range(1..30) * DAY,
                checked_in: past.then_some(starts + late),
                checked_out: past.then_some(ends),
                hours_centi: if past { ((ends - starts - late) / 36) as u32 / 25 * 25 } else { 0 },
                verified: past && self.rng.random_bool(0.7),
                lead: self.rng.random_bool(0.1),
                guests: if self.rng.random_bool(0.2) { 1 } else { 0 },
                cancelled: false,
            });
            store.dates[date as usize - 1].participants.push(id);
            store.index_participation(user, id);
        }
    }

    fn groups(&mut self, store: &mut Store, org: u32, size: &DataSize) {
        let first = store.groups.len() as u32 + 1;
        for n in 0..size.groups_per_org {
            let created = self.past(HISTORY_START);
            let mut members: Vec<u32> =
                (0..size.members_per_group).filter_map(|_| self.member(org)).collect();
            members.sort_unstable();
            members.dedup();
            store.groups.push(Group {
                org,
                name: GROUP_NAMES[n as usize % GROUP_NAMES.len()].to_owned(),
                description: (n % 2 == 0).then(|| "Meets monthly.".to_owned()),
                parent: (n == 2).then_some(first),
                member_moniker: "Member".to_owned(),
                subgroup_moniker: "Subgroup".to_owned(),
                created_by: self.member(org),
                members,
                created,
                updated: self.updated_after(created),
                deleted: false,
            });
        }
    }

    fn forms(&mut self, store: &mut Store, org: u32, size: &DataSize) {
        for n in 0..size.forms_per_org {
            let id = store.forms.len() as u32 + 1;
            let (name, form_type) = FORM_NAMES[n as usize % FORM_NAMES.len()];
            let fields: Vec<u32> = (0..2)
                .map(|_| {
                    store.next_field_id += 1;
                    store.next_field_id
                })
                .collect();
            let created = self.past(HISTORY_START);
            store.forms.push(Form {
                org,
                name: name.to_owned(),
                description: format!("{name} for volunteers."),
                form_type: form_type.to_owned(),
                slug: derive::uuid(store.seed, u64::from(id), 21),
                author: self.member(org),
                fields: fields.clone(),
                completions: Vec::new(),
                created,
                updated: created,
                deleted: false,
            });
            self.completions(store, id, org, &fields, size);
        }
    }

    fn completions(
        &mut self,
        store: &mut Store,
        form: u32,
        org: u32,
        fields: &[u32],
        size: &DataSize,
    ) {
        for _ in 0..size.completions_per_form {
            let Some(user) = self.member(org) else { break };
            let id = store.completions.len() as u32 + 1;
            let created = self.past(HISTORY_START);
            let responses = fields
                .iter()
                .map(|&field| {
                    store.next_response_id += 1;
                    FieldResponse {
                        id: store.next_response_id,
                        field,
                        value: ANSWERS[self.rng.random_range(0..ANSWERS.len())].to_owned(),
                    }
                })
                .collect();
            store.completions.push(Completion {
                form,
                user,
                project: None,
                participation: None,
                responses,
                created,
                updated: self.updated_after(created),
                deleted: false,
            });
            store.forms[form as usize - 1].completions.push(id);
        }
    }

    /// A random accepted member of `org`, if it has any.
    fn member(&mut self, org: u32) -> Option<u32> {
        let members = self.members.get(org as usize - 1)?;
        if members.is_empty() {
            return None;
        }
        Some(members[self.rng.random_range(0..members.len())])
    }

    /// A whole-second instant between `from` and a day before the clock's start.
    fn past(&mut self, from: Secs) -> Secs {
        let until = (self.now - DAY).max(from + 1);
        self.rng.random_range(from..until)
    }

    /// An update time for a record created at `created`: often equal, otherwise later.
    fn updated_after(&mut self, created: Secs) -> Secs {
        if self.rng.random_bool(0.3) {
            return created;
        }
        self.rng.random_range(created..=self.now.max(created))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_same_store() {
        let size = DataSize::small();
        let a = generate(9, &size, 1_762_336_800);
        let b = generate(9, &size, 1_762_336_800);
        assert_eq!(a.users.len(), b.users.len());
        let pairs = a.users.iter().zip(&b.users);
        assert!(pairs.into_iter().all(|(x, y)| x.created == y.created && x.org == y.org));
        assert_eq!(a.tokens, b.tokens);
        let c = generate(10, &size, 1_762_336_800);
        assert_ne!(a.tokens, c.tokens);
    }
}
