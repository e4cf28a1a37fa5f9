//! Inline grader configurations: `{"grader": {"kind": ..., options}}` or a whole configuration
//! `{"grader": {"graders": {...}, "routes": [...]}}`, built per request and kept in a small LRU
//! cache keyed by the configuration's canonical JSON (keys sorted), so a trainer that sends the
//! same configuration with every batch builds it once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use assay::{Config, ConfigError, Engine, Registry};
use serde_json::{Map, Value};

/// Serializes `value` with every object's keys sorted, so equal configurations give equal text.
pub(crate) fn canonical_json(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = Map::with_capacity(map.len());
                for k in keys {
                    out.insert(k.clone(), sorted(&map[k]));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// Turns an inline grader into a configuration value: a whole configuration is kept, a single
/// grader table `{"kind": ...}` becomes `{"graders": {KIND: table}}`.
pub(crate) fn inline_config(value: &Map<String, Value>) -> Result<Value, String> {
    if value.contains_key("graders") {
        return Ok(Value::Object(value.clone()));
    }
    match value.get("kind") {
        Some(Value::String(kind)) => {
            Config::single_value(kind, value.clone()).map_err(|p| p.message)
        }
        Some(other) => Err(format!(
            "`grader.kind` must be a string naming a kind (see GET /v1/graders), found {other}"
        )),
        None => Err(
            "an inline `grader` is one grader, {\"kind\": \"string_check\", ...options}, \
             or a whole configuration, {\"graders\": {...}, \"routes\": [...]}"
                .to_string(),
        ),
    }
}

/// Checks that no `timeout_ms` of an inline configuration (top level or any grader's) is above
/// `max_ms`, so a request cannot hold a scoring slot longer than the server allows.
pub(crate) fn check_timeouts(config: &Value, max_ms: u64) -> Result<(), String> {
    let mut found = Vec::new();
    if let Some(t) = config.get("timeout_ms") {
        found.push(("timeout_ms".to_string(), t));
    }
    if let Some(graders) = config.get("graders").and_then(Value::as_object) {
        for (name, table) in graders {
            if let Some(t) = table.get("timeout_ms") {
                found.push((format!("graders.{name}.timeout_ms"), t));
            }
        }
    }
    for (path, t) in found {
        if t.as_u64().is_some_and(|t| t > max_ms) {
            return Err(format!(
                "{path} = {t} is above this server's limit for inline graders, {max_ms} ms; \
                 lower it"
            ));
        }
    }
    Ok(())
}

/// Builds an engine from a configuration value.
pub(crate) fn build(config: &Value, registry: &Registry) -> Result<Engine, ConfigError> {
    let source = "request `grader`";
    let parsed = Config::from_value(config).map_err(|problems| ConfigError {
        source: source.to_string(),
        problems,
    })?;
    Engine::new(&parsed, registry, source)
}

/// A small least-recently-used cache (of built engines); eviction scans, which is cheap at the
/// sizes used here.
#[derive(Debug)]
pub(crate) struct Lru<V = Arc<Engine>> {
    capacity: usize,
    inner: Mutex<LruInner<V>>,
}

#[derive(Debug)]
struct LruInner<V> {
    clock: u64,
    entries: HashMap<String, (V, u64)>,
}

impl<V: Clone> Lru<V> {
    pub fn new(capacity: usize) -> Self {
        Lru {
            capacity,
            inner: Mutex::new(LruInner {
                clock: 0,
                entries: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruInner<V>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, key: &str) -> Option<V> {
        let mut inner = self.lock();
        inner.clock += 1;
        let now = inner.clock;
        inner.entries.get_mut(key).map(|(value, used)| {
            *used = now;
            value.clone()
        })
    }

    pub fn insert(&self, key: String, value: V) {
        if self.capacity == 0 {
            return;
        }
        let mut inner = self.lock();
        inner.clock += 1;
        let now = inner.clock;
        if !inner.entries.contains_key(&key) && inner.entries.len() >= self.capacity {
            let oldest = inner
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                inner.entries.remove(&oldest);
            }
        }
        inner.entries.insert(key, (value, now));
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let a = json!({"b": 1, "a": {"y": [{"q": 1, "p": 2}], "x": null}});
        let b = json!({"a": {"x": null, "y": [{"p": 2, "q": 1}]}, "b": 1});
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"x":null,"y":[{"p":2,"q":1}]},"b":1}"#
        );
    }

    #[test]
    fn single_graders_become_configurations() {
        let one = json!({"kind": "string_check", "operation": "contains"});
        let config = inline_config(one.as_object().unwrap()).unwrap();
        assert_eq!(config["graders"]["string_check"], one);
        assert!(inline_config(json!({"operation": "eq"}).as_object().unwrap()).is_err());
        assert!(inline_config(json!({"kind": 3}).as_object().unwrap()).is_err());
    }

    #[test]
    fn inline_timeouts_are_capped() {
        assert!(check_timeouts(&json!({"graders": {"a": {"kind": "k"}}}), 100).is_ok());
        assert!(check_timeouts(&json!({"timeout_ms": 100, "graders": {}}), 100).is_ok());
        let e = check_timeouts(&json!({"graders": {"a": {"timeout_ms": 101}}}), 100).unwrap_err();
        assert!(e.starts_with("graders.a.timeout_ms = 101 is above"), "{e}");
        assert!(check_timeouts(&json!({"timeout_ms": 5000}), 100).is_err());
    }

    #[test]
    fn cache_evicts_the_least_recently_used() {
        let cache = Lru::new(2);
        cache.insert("a".into(), 1);
        cache.insert("b".into(), 2);
        assert_eq!(cache.get("a"), Some(1));
        cache.insert("c".into(), 3);
        assert_eq!(cache.get("b"), None);
        assert_eq!(cache.get("a"), Some(1));
        assert_eq!(cache.get("c"), Some(3));
        assert_eq!(cache.len(), 2);
        let off = Lru::new(0);
        off.insert("a".into(), 1);
        assert_eq!(off.get("a"), None);
    }
}
