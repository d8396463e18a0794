//! A hidden hazard's lifecycle across an edit: a hazard rectified or closed that is sent
//! back to rectification (退回) needs a reason, and its count of returns goes up. The
//! checks of one record on its own (销号 needs a rectification and an acceptance, dates
//! in order) are the loaders' (`props::hidden`).

use crate::model::{HiddenHazard, HiddenHazardStatus, LayerKind};

use super::edit::EDIT_SOURCE;
use super::report::{Issue, IssueCode, Position, Severity};

/// Checks the step from `before` (absent for a new record) to `after`, and counts a
/// return; the issues refuse the edit ([`super::refuses`]).
pub(super) fn transition(
    before: Option<&HiddenHazard>,
    after: &mut HiddenHazard,
    id: &str,
) -> Vec<Issue> {
    let Some(before) = before else {
        return Vec::new();
    };
    // The count of returns never goes down: it is the record's history.
    after.reopened = after.reopened.max(before.reopened);
    let was_done = matches!(
        before.status,
        HiddenHazardStatus::Rectified | HiddenHazardStatus::Closed
    );
    if !(was_done && after.status.is_open() && after.status != HiddenHazardStatus::Rectified) {
        return Vec::new();
    }
    let reason = after.reopen_reason.as_deref().map(str::trim).unwrap_or("");
    if reason.is_empty() || after.reopen_reason == before.reopen_reason {
        return vec![Issue {
            severity: Severity::Warning,
            code: IssueCode::LifecycleInconsistent,
            file: EDIT_SOURCE.into(),
            layer: Some(LayerKind::HiddenHazards),
            position: Some(Position::Feature(0)),
            feature_id: Some(id.to_string()),
            field: Some("reopen_reason".into()),
            message: format!(
                "sending a hidden hazard back from {} to {} needs the reason why (退回原因, \
                 reopen_reason)",
                before.status.name_zh(),
                after.status.name_zh()
            ),
        }];
    }
    after.reopened = before.reopened + 1;
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(status: HiddenHazardStatus) -> HiddenHazard {
        HiddenHazard {
            status,
            ..HiddenHazard::default()
        }
    }

    #[test]
    fn a_return_needs_a_reason_and_is_counted() {
        let before = rec(HiddenHazardStatus::Rectified);
        let mut after = rec(HiddenHazardStatus::InProgress);
        let issues = transition(Some(&before), &mut after, "YH1");
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].code, IssueCode::LifecycleInconsistent);
        after.reopen_reason = Some("复查发现泄压阀未更换".into());
        assert!(transition(Some(&before), &mut after, "YH1").is_empty());
        assert_eq!(after.reopened, 1);
        // Forward steps need nothing; the count stays.
        let mut done = rec(HiddenHazardStatus::Rectified);
        assert!(transition(Some(&after), &mut done, "YH1").is_empty());
        assert_eq!(done.reopened, 1);
        assert!(transition(None, &mut rec(HiddenHazardStatus::Pending), "YH2").is_empty());
    }
}
