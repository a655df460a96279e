//! A workflow definition: steps owned by departments, allowed transitions,
//! one initial step and at least one terminal step, validated as a whole.

use std::collections::{HashMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::domain::DomainError;
use crate::domain::validation::{Checks, LONG_TEXT, SHORT_TEXT};

/// Most steps in one definition.
pub const MAX_STEPS: usize = 50;
/// Most transitions in one definition.
pub const MAX_TRANSITIONS: usize = 200;
/// Longest SLA of a step (one year).
pub const MAX_SLA_HOURS: f64 = 8_760.0;

/// One step: who owns it and how long it may take.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Unique within the definition: lower-case letters, digits, `-` and `_`.
    pub key: String,
    /// Shown to users.
    pub name: String,
    /// Department acting on this step; required except on terminal steps.
    pub department: Option<String>,
    /// Hours the step may stay open before its SLA is breached (fractions allowed).
    pub sla_hours: Option<f64>,
}

/// A move the definition allows.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionRule {
    /// Step key it leaves.
    pub from: String,
    /// Step key it enters.
    pub to: String,
    /// Label shown to users, e.g. "Escalate to sales".
    pub name: Option<String>,
}

/// A definition as a client or the demo proposes it, before validation.
/// `key` is required when defining a workflow and, when given on an edit,
/// must match the edited key. Serialises as `POST /workflows` takes it.
#[derive(Debug, Clone, Serialize)]
pub struct DefinitionInput {
    /// The workflow's key.
    pub key: Option<String>,
    /// Shown to users.
    pub name: String,
    /// What the workflow is for.
    pub description: Option<String>,
    /// Its steps.
    pub steps: Vec<Step>,
    /// The moves between steps it allows.
    pub transitions: Vec<TransitionRule>,
    /// Key of the step a new instance starts on.
    pub initial_step: String,
    /// Keys of the steps that end it.
    pub terminal_steps: Vec<String>,
}

/// A validated definition (what is stored as one version).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Definition {
    /// Shown to users.
    pub name: String,
    /// What the workflow is for.
    pub description: Option<String>,
    /// Its steps, keys unique.
    pub steps: Vec<Step>,
    /// The moves between steps it allows, each between known steps.
    pub transitions: Vec<TransitionRule>,
    /// Key of the step a new instance starts on.
    pub initial_step: String,
    /// Keys of the steps that end it, each reachable.
    pub terminal_steps: Vec<String>,
}

/// Whether `key` is a valid workflow or step key.
pub fn valid_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn check_steps(checks: &mut Checks, steps: &[Step], terminal: &HashSet<&str>) {
    if steps.is_empty() || steps.len() > MAX_STEPS {
        checks.fail("steps", format!("must hold 1 to {MAX_STEPS} steps"));
    }
    let mut seen = HashSet::new();
    for (i, step) in steps.iter().enumerate() {
        if !valid_key(&step.key) {
            checks.fail(
                format!("steps[{i}].key"),
                "must be 1-64 of a-z, 0-9, - and _",
            );
        } else if !seen.insert(step.key.as_str()) {
            checks.fail(
                format!("steps[{i}].key"),
                format!("duplicate step key `{}`", step.key),
            );
        }
        checks.text(&format!("steps[{i}].name"), &step.name, SHORT_TEXT);
        match &step.department {
            Some(d) => checks.text(&format!("steps[{i}].department"), d, 100),
            None if !terminal.contains(step.key.as_str()) => checks.fail(
                format!("steps[{i}].department"),
                "is required on a non-terminal step",
            ),
            None => {}
        }
        if step
            .sla_hours
            .is_some_and(|h| !h.is_finite() || h <= 0.0 || h > MAX_SLA_HOURS)
        {
            checks.fail(
                format!("steps[{i}].sla_hours"),
                format!("must be more than 0 and at most {MAX_SLA_HOURS}"),
            );
        }
    }
}

fn check_graph(checks: &mut Checks, input: &DefinitionInput) {
    let keys: HashSet<&str> = input.steps.iter().map(|s| s.key.as_str()).collect();
    let terminal: HashSet<&str> = input.terminal_steps.iter().map(String::as_str).collect();
    if input.transitions.len() > MAX_TRANSITIONS {
        checks.fail(
            "transitions",
            format!("at most {MAX_TRANSITIONS} transitions"),
        );
    }
    let mut edges: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut pairs = HashSet::new();
    for (i, t) in input.transitions.iter().enumerate() {
        for (field, key) in [("from", &t.from), ("to", &t.to)] {
            if !keys.contains(key.as_str()) {
                checks.fail(
                    format!("transitions[{i}].{field}"),
                    format!("unknown step `{key}`"),
                );
            }
        }
        if terminal.contains(t.from.as_str()) {
            checks.fail(
                format!("transitions[{i}].from"),
                "a terminal step has no way out",
            );
        }
        if t.from == t.to {
            checks.fail(format!("transitions[{i}].to"), "must differ from `from`");
        }
        if !pairs.insert((t.from.as_str(), t.to.as_str())) {
            checks.fail(format!("transitions[{i}]"), "duplicate transition");
        }
        checks.opt_text(
            &format!("transitions[{i}].name"),
            t.name.as_deref(),
            SHORT_TEXT,
        );
        edges.entry(&t.from).or_default().push(&t.to);
    }
    if !keys.contains(input.initial_step.as_str()) {
        checks.fail(
            "initial_step",
            format!("unknown step `{}`", input.initial_step),
        );
    } else if terminal.contains(input.initial_step.as_str()) {
        checks.fail("initial_step", "must not be a terminal step");
    }
    if input.terminal_steps.is_empty() {
        checks.fail("terminal_steps", "at least one terminal step is required");
    }
    let mut seen = HashSet::new();
    for (i, key) in input.terminal_steps.iter().enumerate() {
        if !keys.contains(key.as_str()) {
            checks.fail(
                format!("terminal_steps[{i}]"),
                format!("unknown step `{key}`"),
            );
        } else if !seen.insert(key.as_str()) {
            checks.fail(format!("terminal_steps[{i}]"), "listed twice");
        }
    }
    // Every terminal and every step must be reachable, and every non-terminal
    // step needs a way out, or instances could get stuck.
    let mut reached = HashSet::from([input.initial_step.as_str()]);
    let mut queue = VecDeque::from([input.initial_step.as_str()]);
    while let Some(step) = queue.pop_front() {
        for next in edges.get(step).into_iter().flatten() {
            if reached.insert(next) {
                queue.push_back(next);
            }
        }
    }
    if keys.contains(input.initial_step.as_str()) {
        if !input.terminal_steps.is_empty() && !terminal.iter().any(|t| reached.contains(t)) {
            checks.fail(
                "terminal_steps",
                "no path leads from the initial step to a terminal step",
            );
        }
        for (i, key) in input.terminal_steps.iter().enumerate() {
            if keys.contains(key.as_str()) && !reached.contains(key.as_str()) {
                checks.fail(
                    format!("terminal_steps[{i}]"),
                    "is not reachable from the initial step",
                );
            }
        }
        for (i, step) in input.steps.iter().enumerate() {
            let key = step.key.as_str();
            if !reached.contains(key) {
                checks.fail(
                    format!("steps[{i}]"),
                    "is not reachable from the initial step",
                );
            } else if !terminal.contains(key) && !edges.contains_key(key) {
                checks.fail(
                    format!("steps[{i}]"),
                    "has no transition out and is not terminal",
                );
            }
        }
    }
}

impl TryFrom<DefinitionInput> for Definition {
    type Error = DomainError;

    fn try_from(input: DefinitionInput) -> Result<Self, DomainError> {
        let mut checks = Checks::default();
        if let Some(key) = &input.key
            && !valid_key(key)
        {
            checks.fail("key", "must be 1-64 of a-z, 0-9, - and _");
        }
        checks.text("name", &input.name, SHORT_TEXT);
        checks.opt_text("description", input.description.as_deref(), LONG_TEXT);
        let terminal: HashSet<&str> = input.terminal_steps.iter().map(String::as_str).collect();
        check_steps(&mut checks, &input.steps, &terminal);
        check_graph(&mut checks, &input);
        checks.finish()?;
        Ok(Self {
            name: input.name,
            description: input.description,
            steps: input.steps,
            transitions: input.transitions,
            initial_step: input.initial_step,
            terminal_steps: input.terminal_steps,
        })
    }
}

impl Definition {
    /// The step with this key.
    pub fn step(&self, key: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.key == key)
    }

    /// The transition from `from` to `to`, if allowed.
    pub fn transition(&self, from: &str, to: &str) -> Option<&TransitionRule> {
        self.transitions
            .iter()
            .find(|t| t.from == from && t.to == to)
    }

    /// The transitions out of `from`.
    pub fn transitions_from<'a>(
        &'a self,
        from: &'a str,
    ) -> impl Iterator<Item = &'a TransitionRule> {
        self.transitions.iter().filter(move |t| t.from == from)
    }

    /// Whether `key` ends the workflow.
    pub fn is_terminal(&self, key: &str) -> bool {
        self.terminal_steps.iter().any(|t| t == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::workflows as demo;

    fn fields(input: DefinitionInput) -> Vec<String> {
        match Definition::try_from(input) {
            Err(DomainError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn demo_definitions_are_valid() {
        for input in demo::definitions() {
            Definition::try_from(input).unwrap();
        }
    }

    #[test]
    fn reports_unknown_steps_duplicates_and_dead_ends() {
        let mut input = demo::churn_save();
        input.steps[1].key = input.steps[0].key.clone();
        input.transitions.push(TransitionRule {
            from: "nowhere".into(),
            to: "done".into(),
            name: None,
        });
        let errors = fields(input);
        assert!(errors.contains(&"steps[1].key".to_owned()), "{errors:?}");
        assert!(errors.iter().any(|f| f.ends_with(".from")), "{errors:?}");
    }

    #[test]
    fn reports_unreachable_terminals() {
        let mut input = demo::lead_handoff();
        input.transitions.retain(|t| t.to != "won");
        let errors = fields(input);
        assert!(
            errors.iter().any(|f| f.starts_with("terminal_steps[")),
            "{errors:?}"
        );
        let mut input = demo::lead_handoff();
        input.transitions.clear();
        assert!(fields(input).contains(&"terminal_steps".to_owned()));
    }
}
