//! Values grouped by key, groups in the order their key was first seen.
//!
//! Several reference answers list things "per key, keys in first-seen order" (YARA meta
//! and strings per attribute type, STIX hash checks per object type). A linear search for
//! the key made that quadratic in the number of keys; a hash index keeps it linear.

use std::hash::Hash;

use indexmap::IndexMap;

/// Groups of `V` by `K`, in first-seen order of the keys, values in insertion order.
#[derive(Debug, Clone)]
pub struct Grouped<K, V>(IndexMap<K, Vec<V>>);

impl<K, V> Default for Grouped<K, V> {
    fn default() -> Self {
        Self(IndexMap::new())
    }
}

impl<K: Hash + Eq, V> Grouped<K, V> {
    /// Appends `value` to the group of `key`, opening the group after the others if new.
    pub fn add(&mut self, key: K, value: V) {
        self.0.entry(key).or_default().push(value);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The groups in first-seen order of their keys.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &[V])> {
        self.0.iter().map(|(key, values)| (key, values.as_slice()))
    }

    /// Every value, group after group.
    pub fn into_flat(self) -> impl Iterator<Item = V> {
        self.0.into_values().flatten()
    }
}

impl<K: Hash + Eq, V> FromIterator<(K, V)> for Grouped<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(items: I) -> Self {
        let mut grouped = Self::default();
        for (key, value) in items {
            grouped.add(key, value);
        }
        grouped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_keep_first_seen_order() {
        let grouped: Grouped<&str, u32> = [("b", 1), ("a", 2), ("b", 3), ("c", 4), ("a", 5)]
            .into_iter()
            .collect();
        let groups: Vec<(&str, Vec<u32>)> = grouped
            .iter()
            .map(|(key, values)| (*key, values.to_vec()))
            .collect();
        assert_eq!(
            groups,
            [("b", vec![1, 3]), ("a", vec![2, 5]), ("c", vec![4])]
        );
        assert_eq!(grouped.into_flat().collect::<Vec<_>>(), [1, 3, 2, 5, 4]);
        assert!(Grouped::<u8, u8>::default().is_empty());
    }

    #[test]
    fn many_distinct_keys_stay_linear() {
        // 200 000 keys took minutes with a linear search per key.
        let grouped: Grouped<u32, u32> = (0..200_000).map(|i| (i, i)).collect();
        assert_eq!(grouped.iter().count(), 200_000);
        assert_eq!(grouped.into_flat().last(), Some(199_999));
    }
}
