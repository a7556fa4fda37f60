//! [`Params`]: a small map of strings (a URL's parameters, a page's directives).

use std::borrow::Borrow;
use std::fmt;
use std::ops::Index;

use litemap::LiteMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A map from strings to strings, in key order, kept in one flat sorted list: the path and
/// query parameters of a URL ([`RouteInfo`](crate::RouteInfo)) and the directives of a page
/// ([`Directives`](crate::Directives)).
///
/// It has the API of a `BTreeMap<String, String>` that such maps are read with (`get`,
/// `map["key"]`, `contains_key`, `iter`, `insert`, …) and the same JSON form, an object. Such a
/// map holds a handful of entries, mostly none: an empty one owns no memory and costs nothing
/// to drop, one with entries is a single allocation (a tree allocates a node of about half a
/// kilobyte for its first entry).
///
/// Built from an iterator, the last value of a repeated key wins, as for a `BTreeMap`.
///
/// ```
/// use pulse_core as ps;
///
/// let mut params: ps::Params = [("tab", "posts"), ("id", "7")].into_iter().collect();
/// assert_eq!(params["id"], "7");
/// assert_eq!(params.get("tab").map(String::as_str), Some("posts"));
/// params.insert("tab".into(), "likes".into());
/// assert_eq!(params.keys().collect::<Vec<_>>(), ["id", "tab"]);
/// assert_eq!(serde_json::to_string(&params).unwrap(), r#"{"id":"7","tab":"likes"}"#);
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Params {
    map: LiteMap<String, String>,
}

impl Params {
    /// No parameters (allocates nothing).
    pub const fn new() -> Self {
        Params {
            map: LiteMap::new(),
        }
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The value of `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<&String>
    where
        String: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.map.get(key)
    }

    /// The value of `key`, to change in place.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut String>
    where
        String: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.map.get_mut(key)
    }

    /// Whether `key` has a value.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        String: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.map.contains_key(key)
    }

    /// Sets `key` to `value`, returning the value it replaced.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        self.map.insert(key, value)
    }

    /// Removes `key`, returning its value.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<String>
    where
        String: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.map.remove(key)
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// The keys and values, in key order.
    pub fn iter(&self) -> ParamsIter<'_> {
        ParamsIter {
            entries: self.map.as_slice().iter(),
        }
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.iter().map(|(key, _)| key)
    }

    /// The values, in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.iter().map(|(_, value)| value)
    }

    /// The values, in key order, to change in place.
    pub fn values_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = &mut String> + ExactSizeIterator {
        self.map.iter_mut().map(|(_, value)| value)
    }
}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.map.iter()).finish()
    }
}

/// `params["key"]`.
///
/// # Panics
/// When `key` has no value (as a `BTreeMap` does).
impl Index<&str> for Params {
    type Output = String;

    fn index(&self, key: &str) -> &String {
        match self.map.get(key) {
            Some(value) => value,
            None => panic!("no parameter `{key}`"),
        }
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Params {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut params = Params::new();
        params.extend(iter);
        params
    }
}

/// Adds the entries (the last value of a key wins), sorting once rather than per entry.
impl<K: Into<String>, V: Into<String>> Extend<(K, V)> for Params {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        let mut entries = iter.into_iter().peekable();
        // Most URLs have no query and no parameters: nothing to add, nothing to sort.
        if entries.peek().is_none() {
            return;
        }
        self.map
            .extend(entries.map(|(key, value)| (key.into(), value.into())));
    }
}

impl<K: Into<String>, V: Into<String>, const N: usize> From<[(K, V); N]> for Params {
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl IntoIterator for Params {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.map.into_tuple_vec().into_iter()
    }
}

impl<'a> IntoIterator for &'a Params {
    type Item = (&'a String, &'a String);
    type IntoIter = ParamsIter<'a>;

    fn into_iter(self) -> ParamsIter<'a> {
        self.iter()
    }
}

/// The keys and values of [`Params`], in key order ([`Params::iter`]).
#[derive(Clone, Debug)]
pub struct ParamsIter<'a> {
    entries: std::slice::Iter<'a, (String, String)>,
}

impl<'a> Iterator for ParamsIter<'a> {
    type Item = (&'a String, &'a String);

    fn next(&mut self) -> Option<Self::Item> {
        self.entries.next().map(|(key, value)| (key, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.entries.size_hint()
    }
}

impl DoubleEndedIterator for ParamsIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.entries.next_back().map(|(key, value)| (key, value))
    }
}

impl ExactSizeIterator for ParamsIter<'_> {}

impl Serialize for Params {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.map.iter())
    }
}

/// A JSON object (an array is refused); the last value of a repeated key wins.
impl<'de> Deserialize<'de> for Params {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectOnly;

        impl<'de> serde::de::Visitor<'de> for ObjectOnly {
            type Value = Params;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of strings")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Params, A::Error> {
                // Entries in order are appended; the rest are sorted once at the end (no
                // quadratic insertion for a hostile body with keys in reverse order).
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
                while let Some(entry) = map.next_entry::<String, String>()? {
                    entries.push(entry);
                }
                Ok(entries.into_iter().collect())
            }
        }

        deserializer.deserialize_map(ObjectOnly)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn reads_like_a_btree_map_of_strings() {
        let mut params: Params = [("tab", "posts"), ("id", "7"), ("tab", "likes")]
            .into_iter()
            .collect();
        // The last value of a repeated key wins; keys come out in order.
        assert_eq!(params.len(), 2);
        assert_eq!(params["tab"], "likes");
        assert_eq!(params.get("id").map(String::as_str), Some("7"));
        assert!(params.contains_key("id") && !params.contains_key("x"));
        assert_eq!(params.insert("a".into(), "1".into()), None);
        assert_eq!(params.insert("a".into(), "2".into()), Some("1".into()));
        let as_tree: BTreeMap<_, _> = params.clone().into_iter().collect();
        assert_eq!(
            params.iter().collect::<Vec<_>>(),
            as_tree.iter().collect::<Vec<_>>()
        );
        assert_eq!(params.keys().next_back().map(String::as_str), Some("tab"));
        for value in params.values_mut() {
            value.push('!');
        }
        assert_eq!(params.remove("a"), Some("2!".into()));
        assert_eq!(format!("{params:?}"), r#"{"id": "7!", "tab": "likes!"}"#);
        params.clear();
        assert!(params.is_empty());
    }

    #[test]
    #[should_panic(expected = "no parameter `missing`")]
    fn indexing_a_missing_key_names_it() {
        let _ = &Params::new()["missing"];
    }

    /// The JSON form is a `BTreeMap`'s: an object in key order; only an object of strings is
    /// read, and the last of a repeated key wins.
    #[test]
    fn json_is_an_object_of_strings() {
        let params = Params::from([("b", "2"), ("a", "1")]);
        let json = serde_json::to_string(&params).unwrap();
        let tree = BTreeMap::from([("b", "2"), ("a", "1")]);
        assert_eq!(json, serde_json::to_string(&tree).unwrap());
        assert_eq!(serde_json::from_str::<Params>(&json).unwrap(), params);

        let repeated: Params = serde_json::from_str(r#"{"z":"1","a":"2","z":"3"}"#).unwrap();
        assert_eq!(repeated, Params::from([("a", "2"), ("z", "3")]));
        for not_an_object in [r#"[["a","1"]]"#, r#""a=1""#, r#"{"a":1}"#, "null"] {
            assert!(
                serde_json::from_str::<Params>(not_an_object).is_err(),
                "{not_an_object}"
            );
        }
    }

    /// Keys in reverse order (a hostile body's) are sorted once, and all of them are kept.
    #[test]
    fn many_keys_out_of_order() {
        let body = format!(
            "{{{}}}",
            (0..20_000)
                .rev()
                .map(|i| format!("\"k{i:05}\":\"{i}\""))
                .collect::<Vec<_>>()
                .join(",")
        );
        let params: Params = serde_json::from_str(&body).unwrap();
        assert_eq!(params.len(), 20_000);
        assert_eq!(params["k00000"], "0");
        assert_eq!(params.keys().next().map(String::as_str), Some("k00000"));
        assert_eq!(params.keys().last().map(String::as_str), Some("k19999"));
    }
}
