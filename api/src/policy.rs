//! The one role policy: which role may do what. Handlers ask [`require`];
//! none compares roles by hand.

use uuid::Uuid;

use crate::auth::Caller;
use crate::domain::DomainError;

pub use crate::domain::Role;

/// Something a caller may want to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// List or read customers and their timelines.
    ReadCustomers,
    /// Create, update or delete customers.
    WriteCustomers,
    /// Read items and interactions.
    ReadCatalog,
    /// Create, update or delete items.
    WriteItems,
    /// Record interactions.
    WriteInteractions,
    /// Manage users and API keys, read the audit log.
    ManageAccess,
    /// Erase a customer's personal data (GDPR).
    EraseCustomers,
    /// Bring back a soft-deleted customer.
    RestoreCustomers,
    /// Read engines, models, jobs, recommendations and scores.
    ReadPredictions,
    /// Train models and activate them.
    TrainModels,
    /// Read workflow definitions, instances and their events.
    ReadWorkflows,
    /// Define workflows, automations and webhooks.
    DefineWorkflows,
    /// Start, move, reassign or comment on a workflow instance.
    ActOnWorkflowStep,
    /// Read and write the merchandising rules of recommendation lists.
    Merchandise,
    /// Start, stop and read A/B experiments between models.
    RunExperiments,
}

/// What the policy table says for a (role, action) cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// Allowed without condition.
    Full,
    /// Allowed on customers the caller owns or that have no owner.
    OwnOrUnowned,
    /// Reading allowed with personal data masked.
    Masked,
    /// Allowed on workflow steps of the caller's own department.
    OwnDepartment,
}

/// The policy table. `None` means denied.
pub fn rule(role: Role, action: Action) -> Option<Grant> {
    use Action::*;
    use Role::*;
    match (action, role) {
        (ReadCustomers, Analyst) => Some(Grant::Masked),
        (ReadCustomers | ReadCatalog, _) => Some(Grant::Full),
        (WriteCustomers, Admin | Manager | Support | Integration) => Some(Grant::Full),
        (WriteCustomers, Sales) => Some(Grant::OwnOrUnowned),
        (WriteCustomers, Marketing | Analyst) => None,
        (WriteItems, Admin | Manager | Marketing | Integration) => Some(Grant::Full),
        (WriteItems, Sales | Support | Analyst) => None,
        (WriteInteractions, Analyst) => None,
        (WriteInteractions, _) => Some(Grant::Full),
        (ManageAccess | RestoreCustomers, Admin) => Some(Grant::Full),
        (ManageAccess | RestoreCustomers, _) => None,
        (EraseCustomers, Admin | Manager) => Some(Grant::Full),
        (EraseCustomers, _) => None,
        (ReadPredictions, _) => Some(Grant::Full),
        (TrainModels, Admin | Analyst) => Some(Grant::Full),
        (TrainModels, Manager | Sales | Marketing | Support | Integration) => None,
        (ReadWorkflows, _) => Some(Grant::Full),
        (DefineWorkflows | ActOnWorkflowStep, Admin | Manager) => Some(Grant::Full),
        (DefineWorkflows, _) => None,
        (ActOnWorkflowStep, Sales | Marketing | Support) => Some(Grant::OwnDepartment),
        (ActOnWorkflowStep, Analyst | Integration) => None,
        (Merchandise, Admin | Manager | Marketing) => Some(Grant::Full),
        (Merchandise, Sales | Support | Analyst | Integration) => None,
        (RunExperiments, Admin | Manager | Analyst) => Some(Grant::Full),
        (RunExperiments, Sales | Marketing | Support | Integration) => None,
    }
}

/// Fails with 403 unless the caller's role may do `action`.
pub fn require(caller: &Caller, action: Action) -> Result<Grant, DomainError> {
    rule(caller.role, action).ok_or_else(|| {
        DomainError::Forbidden(format!(
            "the {} role may not {}",
            caller.role,
            describe(action)
        ))
    })
}

impl Grant {
    /// Checks the ownership condition of a grant against a customer's owner.
    pub fn check_owner(self, caller: &Caller, owner: Option<Uuid>) -> Result<(), DomainError> {
        match (self, owner) {
            (Grant::OwnOrUnowned, Some(owner)) if owner != caller.user_id => {
                Err(DomainError::Forbidden(
                    "you may only change customers you own or that have no owner".to_owned(),
                ))
            }
            _ => Ok(()),
        }
    }
}

/// Whether a user with `role` in `department` may act on a step owned by
/// `step_department` (used for callers and for prospective assignees).
pub fn may_act_on_step(
    role: Role,
    department: Option<&str>,
    step_department: Option<&str>,
) -> bool {
    match rule(role, Action::ActOnWorkflowStep) {
        Some(Grant::OwnDepartment) => department.is_some() && department == step_department,
        Some(Grant::Full | Grant::OwnOrUnowned | Grant::Masked) => true,
        None => false,
    }
}

impl Grant {
    /// Checks the department condition of a grant against a workflow step's department.
    pub fn check_department(
        self,
        caller: &Caller,
        step_department: Option<&str>,
    ) -> Result<(), DomainError> {
        if may_act_on_step(caller.role, caller.department.as_deref(), step_department) {
            Ok(())
        } else {
            Err(DomainError::Forbidden(format!(
                "only members of the {} department (or an admin or manager) may act on this step",
                step_department.unwrap_or("step's")
            )))
        }
    }
}

fn describe(action: Action) -> &'static str {
    match action {
        Action::ReadCustomers => "read customers",
        Action::WriteCustomers => "create or change customers",
        Action::ReadCatalog => "read items and interactions",
        Action::WriteItems => "create or change items",
        Action::WriteInteractions => "record interactions",
        Action::ManageAccess => "manage users, API keys or the audit log",
        Action::EraseCustomers => "erase customers",
        Action::RestoreCustomers => "restore deleted customers",
        Action::ReadPredictions => "read models, recommendations and scores",
        Action::TrainModels => "train or activate models",
        Action::ReadWorkflows => "read workflows",
        Action::DefineWorkflows => "define workflows, automations or webhooks",
        Action::ActOnWorkflowStep => "act on workflow steps",
        Action::Merchandise => "manage recommendation rules",
        Action::RunExperiments => "run experiments",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_strings() {
        for &role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("root".parse::<Role>().is_err());
    }

    /// The roles table of DESIGN.md §3, copied word for word: the test
    /// reads the design's words, not the code's.
    const DESIGN_TABLE: &str = "\
| action | admin | manager | sales | marketing | support | analyst | integration |\n\
|---|---|---|---|---|---|---|---|\n\
| manage users, api keys, read audit log | yes | | | | | | |\n\
| read customers | yes | yes | yes | yes | yes | PII masked | yes |\n\
| create/update customers | yes | yes | own or unowned | | yes | | yes |\n\
| erase customer (GDPR) | yes | yes | | | | | |\n\
| write items | yes | yes | | yes | | | yes |\n\
| write interactions | yes | yes | yes | yes | yes | | yes |\n\
| read recommendations, scores | yes | yes | yes | yes | yes | yes | yes |\n\
| train / activate models | yes | | | | | yes | |\n\
| define workflows, automations, webhooks | yes | yes | | | | | |\n\
| act on a workflow step | yes | yes | members of the step's department | same | same | | |\n";

    /// Which action each row of the design's table is.
    fn action_of(row: &str) -> Action {
        match row {
            "manage users, api keys, read audit log" => Action::ManageAccess,
            "read customers" => Action::ReadCustomers,
            "create/update customers" => Action::WriteCustomers,
            "erase customer (GDPR)" => Action::EraseCustomers,
            "write items" => Action::WriteItems,
            "write interactions" => Action::WriteInteractions,
            "read recommendations, scores" => Action::ReadPredictions,
            "train / activate models" => Action::TrainModels,
            "define workflows, automations, webhooks" => Action::DefineWorkflows,
            "act on a workflow step" => Action::ActOnWorkflowStep,
            other => panic!("a row of the design this test does not know: {other}"),
        }
    }

    /// What a cell of the design's table grants.
    fn grant_of(cell: &str) -> Option<Grant> {
        match cell {
            "yes" => Some(Grant::Full),
            "" => None,
            "PII masked" => Some(Grant::Masked),
            "own or unowned" => Some(Grant::OwnOrUnowned),
            "members of the step's department" | "same" => Some(Grant::OwnDepartment),
            other => panic!("a cell of the design this test does not know: {other}"),
        }
    }

    #[test]
    fn whole_table_is_the_design() {
        let mut lines = DESIGN_TABLE.lines();
        let header: Vec<&str> = lines.next().unwrap().split('|').map(str::trim).collect();
        let roles: Vec<Role> = header[2..header.len() - 1]
            .iter()
            .map(|r| r.parse().unwrap())
            .collect();
        assert_eq!(roles, Role::ALL, "the design's columns are the roles");
        let mut checked = 0;
        for line in lines.skip(1) {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let action = action_of(cells[1]);
            for (role, cell) in roles.iter().zip(&cells[2..cells.len() - 1]) {
                assert_eq!(
                    rule(*role, action),
                    grant_of(cell),
                    "{role} may `{}`",
                    cells[1]
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 10 * 7);
        // Actions the design leaves to the product: everyone reads the
        // catalogue and workflows; only an admin restores a deleted
        // customer; admins, managers and marketing manage recommendation rules.
        for &role in Role::ALL {
            assert_eq!(rule(role, Action::ReadCatalog), Some(Grant::Full));
            assert_eq!(rule(role, Action::ReadWorkflows), Some(Grant::Full));
            let admin = (role == Role::Admin).then_some(Grant::Full);
            assert_eq!(rule(role, Action::RestoreCustomers), admin);
            // The issue that added recommendation rules names their roles.
            let merchandiser = matches!(role, Role::Admin | Role::Manager | Role::Marketing);
            assert_eq!(
                rule(role, Action::Merchandise),
                merchandiser.then_some(Grant::Full)
            );
            // And the experiments issue theirs.
            let experimenter = matches!(role, Role::Admin | Role::Manager | Role::Analyst);
            assert_eq!(
                rule(role, Action::RunExperiments),
                experimenter.then_some(Grant::Full)
            );
        }
    }

    /// Where the design is at hand (a developer's checkout), the copy above
    /// must still be the design's table.
    #[test]
    fn the_copy_is_the_design() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/DESIGN.md");
        let Ok(design) = std::fs::read_to_string(path) else {
            return;
        };
        let rows: Vec<&str> = design
            .lines()
            .skip_while(|l| !l.starts_with("| action |"))
            .take_while(|l| l.starts_with('|'))
            .collect();
        assert_eq!(rows.join("\n"), DESIGN_TABLE.trim_end());
    }

    #[test]
    fn table_matches_the_design() {
        assert_eq!(
            rule(Role::Analyst, Action::ReadCustomers),
            Some(Grant::Masked)
        );
        assert_eq!(
            rule(Role::Sales, Action::WriteCustomers),
            Some(Grant::OwnOrUnowned)
        );
        assert_eq!(rule(Role::Marketing, Action::WriteCustomers), None);
        assert_eq!(rule(Role::Marketing, Action::WriteItems), Some(Grant::Full));
        assert_eq!(rule(Role::Support, Action::WriteItems), None);
        assert_eq!(rule(Role::Analyst, Action::WriteInteractions), None);
        assert_eq!(
            rule(Role::Integration, Action::WriteInteractions),
            Some(Grant::Full)
        );
        for &role in Role::ALL {
            let admin = role == Role::Admin;
            assert_eq!(rule(role, Action::ManageAccess).is_some(), admin);
            assert_eq!(rule(role, Action::RestoreCustomers).is_some(), admin);
            assert_eq!(
                rule(role, Action::EraseCustomers).is_some(),
                admin || role == Role::Manager
            );
        }
    }

    #[test]
    fn workflow_steps_follow_departments() {
        assert!(may_act_on_step(Role::Manager, None, Some("finance")));
        assert!(may_act_on_step(Role::Sales, Some("sales"), Some("sales")));
        assert!(!may_act_on_step(
            Role::Sales,
            Some("sales"),
            Some("support")
        ));
        assert!(!may_act_on_step(Role::Support, None, None));
        assert!(!may_act_on_step(
            Role::Analyst,
            Some("sales"),
            Some("sales")
        ));
        assert!(!may_act_on_step(
            Role::Integration,
            Some("sales"),
            Some("sales")
        ));
        assert_eq!(rule(Role::Sales, Action::DefineWorkflows), None);
        assert_eq!(
            rule(Role::Manager, Action::DefineWorkflows),
            Some(Grant::Full)
        );
    }
}
