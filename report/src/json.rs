//! Lenient reading of the model JSON: a missing or mistyped field is `None`
//! or empty, never an error, so that odd input only leaves parts out.

use serde_json::Value;

/// The value at `path` of object keys below `value`.
pub fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

/// The finite number at `path`.
pub fn num(value: &Value, path: &[&str]) -> Option<f64> {
    at(value, path)
        .and_then(Value::as_f64)
        .filter(|x| x.is_finite())
}

/// The string at `path`.
pub fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(value, path).and_then(Value::as_str)
}

/// The array at `path`, or nothing.
pub fn list<'a>(value: &'a Value, path: &[&str]) -> &'a [Value] {
    at(value, path)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The points `(x, y)` of the objects in `items` that have both numbers.
pub fn points(items: &[Value], x: &str, y: &str) -> Vec<(f64, f64)> {
    items
        .iter()
        .filter_map(|item| Some((num(item, &[x])?, num(item, &[y])?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_what_is_there_and_skips_the_rest() {
        let v = json!({"a": {"b": 2.5, "s": "x", "l": [{"x": 1, "y": 2}, {"x": "1", "y": 2}, {"x": 3}]}});
        assert_eq!(num(&v, &["a", "b"]), Some(2.5));
        assert_eq!(num(&v, &["a", "s"]), None);
        assert_eq!(text(&v, &["a", "s"]), Some("x"));
        assert_eq!(list(&v, &["a", "b"]).len(), 0);
        assert_eq!(points(list(&v, &["a", "l"]), "x", "y"), vec![(1.0, 2.0)]);
        assert_eq!(at(&json!(3), &["a"]), None);
    }
}
