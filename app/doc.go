// Package app is the counter's domain, and this package is its façade for
// the UI: Open a Counter from a configuration, SignIn a staff member, and
// work through the returned Desk. Every Desk method takes a context, may
// block on the card, the CA or the disk, and must not run on the UI
// goroutine; errors a clerk may see implement UserMessage() in Japanese.
//
//	c, _ := app.Open(ctx, cfg, app.Options{})       // config.Resolve / config.Default
//	defer c.Close()
//	desk, _ := c.SignIn(ctx, "clerk01", password)
//	res, _ := desk.Search(ctx, registry.Query{Kana: "takahashi"})
//	form, _ := desk.Prefill(ctx, res.Residents[0].Code, forms.KindNew)
//	s, _ := desk.Start(ctx, code, form)             // 申請受付
//	desk.CheckIdentity(ctx, s.ID, docs)             // 本人確認
//	card, _ := desk.ConnectCard(ctx)                // after cardio.Watch saw the card
//	desk.PrepareCard(ctx, s.ID, card)               // カード準備
//	desk.GenerateKey(ctx, s.ID, card, pin, confirm) // 鍵生成 (PINs wiped)
//	desk.Request(ctx, s.ID)                         // 発行申請
//	desk.Write(ctx, s.ID, card)                     // 書込
//	desk.Deliver(ctx, s.ID)                         // 交付
//
// At start-up Desk.Interrupted lists the sessions an earlier run left open;
// each is resumed from Session.Next or abandoned with Desk.Abandon.
//
// The parts, one job each:
//
//   - app/store: the SQLite database (WAL, foreign keys, synchronous=FULL)
//     and its embedded, versioned migrations;
//   - app/registry: residents (住民基本台帳), CSV import (UTF-8 or
//     Shift_JIS/CP932, all or nothing, line-numbered report), search, and
//     the deterministic demo generator;
//   - app/identity: the identity check and identity documents;
//   - app/staff: accounts, roles, argon2id passwords, lock-out;
//   - app/audit: the SHA-256 hash-chained, append-only audit trail;
//   - app/records: issued certificates and the supervisor's queries;
//   - app/session: the durable state machines of issuance, revocation and
//     PIN reset;
//   - app/prefecture: the link to the prefecture CA (EST), and
//     app/prefecture/refca the reference prefecture CA;
//   - app/config: the configuration file and the embedded default.
//
// Nothing in app imports Fyne; every part of it is testable without a display.
package app
