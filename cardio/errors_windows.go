package cardio

// On Windows the PC/SC service is the Smart Card service (SCardSvr), which
// Windows starts when a reader is attached and may stop when the last one
// is removed: "no service" usually means "no reader".
func init() {
	ErrNoService.name = "the Smart Card service (SCardSvr) is not running"
	ErrNoService.user = "スマート カード サービスが動いていません。カード読取機を接続してから、もう一度操作してください。直らないときはシステム管理者に連絡してください。"
}
