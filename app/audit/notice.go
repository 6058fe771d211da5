package audit

// Actions of the change-notice outbox (異動等情報 to the prefecture CA).
const (
	ActionNoticeQueued = "notice.queued" // an import found a change; the notice is in the outbox
	ActionNoticeSent   = "notice.sent"   // the CA answered; detail lists the revoked serials and reasons
	ActionNoticeFailed = "notice.failed" // an attempt failed (refused: kept as failed; unreachable: retried)
	ActionNoticeRetry  = "notice.retry"  // a supervisor sent a failed notice again
)
