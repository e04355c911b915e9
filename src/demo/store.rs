//! The in-memory identity store: identities ordered by id (Kratos lists by id),
//! plus the unique indexes a write must respect (credential identifiers,
//! external ids) and the attribute registry's issuance tokens.
//!
//! Generated seed identities are kept as their index only and built when read,
//! so a million-identity seed costs the indexes and a few bytes per identity.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use uuid::Uuid;

use super::model::Identity;
use super::seed::{self, Generator};

/// The largest `--seed-count` accepted.
pub const MAX_SEED_COUNT: usize = 1_000_000;

enum Slot {
    /// Generated identity number `n`, not touched since startup.
    Generated(u32),
    Stored(Box<Identity>),
}

pub struct Store {
    identities: BTreeMap<Uuid, Slot>,
    /// Normalised credential identifier -> owner. Ordered, for prefix search.
    identifiers: BTreeMap<Box<str>, Uuid>,
    external_ids: HashMap<Box<str>, Uuid>,
    issuance_tokens: HashMap<Box<str>, Uuid>,
    generator: Generator,
    /// Every identity's sessions (made from its id until one changes).
    pub sessions: super::sessions::Sessions,
}

/// The keys one identity holds in the indexes.
struct Keys {
    identifiers: Vec<String>,
    external_id: Option<String>,
    issuance_token: Option<String>,
}

impl Keys {
    fn of(identity: &Identity) -> Self {
        Self {
            identifiers: identity.all_identifiers().into_iter().map(str::to_owned).collect(),
            external_id: identity.external_id.clone(),
            issuance_token: identity.issuance_token().map(str::to_owned),
        }
    }
}

impl Store {
    /// The curated seed (or its first `seed_count`), then generated identities up
    /// to `seed_count`, then the hostile ones if asked for.
    pub fn seeded(seed_count: Option<usize>, hostile: bool) -> Result<Self, String> {
        if let Some(count) = seed_count
            && count > MAX_SEED_COUNT
        {
            return Err(format!(
                "--seed-count {count} is too large: at most {MAX_SEED_COUNT} identities"
            ));
        }
        let mut store = Self {
            identities: BTreeMap::new(),
            identifiers: BTreeMap::new(),
            external_ids: HashMap::new(),
            issuance_tokens: HashMap::new(),
            generator: Generator::new()?,
            sessions: super::sessions::Sessions::default(),
        };
        let base = seed::base_identities()?;
        let wanted = seed_count.unwrap_or(base.len());
        for identity in base.into_iter().take(wanted) {
            store.insert_new(identity)?;
        }
        let mut n: u32 = 0;
        while store.identities.len() < wanted {
            let keys = store.generator.keys(u64::from(n));
            let free = !store.identities.contains_key(&keys.id)
                && keys
                    .identifiers
                    .iter()
                    .all(|i| !store.identifiers.contains_key(i.as_str()));
            if free {
                for identifier in keys.identifiers {
                    store.identifiers.insert(identifier.into(), keys.id);
                }
                if let Some(external) = keys.external_id {
                    store.external_ids.insert(external.into(), keys.id);
                }
                if let Some(token) = keys.issuance_token {
                    store.issuance_tokens.insert(token.into(), keys.id);
                }
                store.identities.insert(keys.id, Slot::Generated(n));
            }
            n = n.checked_add(1).ok_or("ran out of generator indexes while seeding")?;
        }
        if hostile {
            for identity in seed::hostile_identities() {
                store.insert_new(identity)?;
            }
        }
        Ok(store)
    }

    /// Adds a seed identity, refusing one that clashes with what is there.
    fn insert_new(&mut self, identity: Identity) -> Result<(), String> {
        if self.identities.contains_key(&identity.id) {
            return Err(format!("seed identity {} appears twice", identity.id));
        }
        if let Some(clash) = self.conflict(&identity) {
            return Err(format!(
                "seed identity {} clashes with another identity on {clash}",
                identity.id
            ));
        }
        self.index(identity.id, &Keys::of(&identity));
        self.identities.insert(identity.id, Slot::Stored(Box::new(identity)));
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.identities.len()
    }

    fn materialize<'a>(&self, slot: &'a Slot) -> Cow<'a, Identity> {
        match slot {
            Slot::Generated(n) => Cow::Owned(self.generator.identity(u64::from(*n))),
            Slot::Stored(identity) => Cow::Borrowed(identity),
        }
    }

    pub fn get(&self, id: &Uuid) -> Option<Cow<'_, Identity>> {
        self.identities.get(id).map(|slot| self.materialize(slot))
    }

    /// Up to `limit` identities with ids greater than `after`, and whether more follow.
    pub fn page_after(&self, after: &Uuid, limit: usize) -> (Vec<Cow<'_, Identity>>, bool) {
        let mut range = self.identities.range((Bound::Excluded(*after), Bound::Unbounded));
        let page: Vec<Cow<'_, Identity>> = range
            .by_ref()
            .take(limit)
            .map(|(_, slot)| self.materialize(slot))
            .collect();
        let more = range.next().is_some();
        (page, more)
    }

    /// The owner of an exact (already normalised) identifier.
    pub fn owner_of_identifier(&self, identifier: &str) -> Option<Uuid> {
        self.identifiers.get(identifier).copied()
    }

    /// Owners of identifiers starting with `prefix`, sorted by id, deduplicated.
    pub fn owners_of_identifier_prefix(&self, prefix: &str) -> Vec<Uuid> {
        let mut owners: Vec<Uuid> = self
            .identifiers
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(identifier, _)| identifier.starts_with(prefix))
            .map(|(_, owner)| *owner)
            .collect();
        owners.sort_unstable();
        owners.dedup();
        owners
    }

    pub fn owner_of_external_id(&self, external_id: &str) -> Option<Uuid> {
        self.external_ids.get(external_id).copied()
    }

    pub fn owner_of_issuance_token(&self, token: &str) -> Option<Uuid> {
        self.issuance_tokens.get(token).copied()
    }

    /// A key of `identity` that another identity already holds, described.
    pub fn conflict(&self, identity: &Identity) -> Option<String> {
        for identifier in identity.all_identifiers() {
            if let Some(owner) = self.owner_of_identifier(identifier)
                && owner != identity.id
            {
                return Some(format!("credentials identifier {identifier:?}"));
            }
        }
        if let Some(external) = &identity.external_id
            && let Some(owner) = self.owner_of_external_id(external)
            && owner != identity.id
        {
            return Some(format!("external_id {external:?}"));
        }
        None
    }

    fn index(&mut self, id: Uuid, keys: &Keys) {
        for identifier in &keys.identifiers {
            self.identifiers.insert(identifier.as_str().into(), id);
        }
        if let Some(external) = &keys.external_id {
            self.external_ids.insert(external.as_str().into(), id);
        }
        if let Some(token) = &keys.issuance_token {
            self.issuance_tokens.insert(token.as_str().into(), id);
        }
    }

    fn unindex(&mut self, id: Uuid, keys: &Keys) {
        for identifier in &keys.identifiers {
            if self.identifiers.get(identifier.as_str()) == Some(&id) {
                self.identifiers.remove(identifier.as_str());
            }
        }
        if let Some(external) = &keys.external_id
            && self.external_ids.get(external.as_str()) == Some(&id)
        {
            self.external_ids.remove(external.as_str());
        }
        if let Some(token) = &keys.issuance_token
            && self.issuance_tokens.get(token.as_str()) == Some(&id)
        {
            self.issuance_tokens.remove(token.as_str());
        }
    }

    /// Takes the identity out with its index entries (its identifiers and
    /// external id can be taken again); its sessions are `demo::delete`'s.
    pub fn remove(&mut self, id: &Uuid) -> Option<Identity> {
        let identity = self.get(id)?.into_owned();
        self.unindex(*id, &Keys::of(&identity));
        self.identities.remove(id);
        Some(identity)
    }

    /// Stores `identity` over the one with its id, moving its index entries.
    /// Callers check [`Store::conflict`] first when uniqueness matters.
    pub fn replace(&mut self, identity: Identity) {
        let id = identity.id;
        let old_keys = self.get(&id).map(|old| Keys::of(&old));
        if let Some(old_keys) = old_keys {
            self.unindex(id, &old_keys);
        }
        self.index(id, &Keys::of(&identity));
        self.identities.insert(id, Slot::Stored(Box::new(identity)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(count: Option<usize>) -> Store {
        match Store::seeded(count, false) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn seed_count_tops_up_with_generated_identities() {
        let s = store(Some(1_000));
        assert_eq!(s.len(), 1_000);
        let (page, more) = s.page_after(&Uuid::nil(), 500);
        assert_eq!(page.len(), 500);
        assert!(more);
        assert!(page.windows(2).all(|w| w[0].id < w[1].id));
    }

    #[test]
    fn replace_moves_index_entries() {
        let mut s = store(Some(300));
        let (page, _) = s.page_after(&Uuid::nil(), 1);
        let mut identity = page[0].clone().into_owned();
        let Some(old) = identity.all_identifiers().first().map(|i| (*i).to_owned()) else {
            panic!("seed identity without identifiers")
        };
        for credential in identity.credentials.values_mut() {
            credential.identifiers = vec!["moved@example.com".into()];
        }
        let id = identity.id;
        s.replace(identity);
        assert_eq!(s.owner_of_identifier(&old), None);
        assert_eq!(s.owner_of_identifier("moved@example.com"), Some(id));
        assert_eq!(s.owners_of_identifier_prefix("moved@"), vec![id]);
    }

    #[test]
    fn too_many_is_refused_with_the_limit() {
        let Err(message) = Store::seeded(Some(MAX_SEED_COUNT + 1), false) else {
            panic!("accepted too many")
        };
        assert!(message.contains("1000000"), "{message}");
    }
}
