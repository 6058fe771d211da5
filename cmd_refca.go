package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"madoguchi/app/prefecture/refca"
)

// The reference prefecture CA as a standalone server and its development
// set-up: `madoguchi refca setup -dir D` creates a CA, a terminal's RA
// certificate and an app configuration; `madoguchi refca serve -dir D`
// serves it on 127.0.0.1:8443 until interrupted.
func init() {
	register("refca", "reference prefecture CA: setup, serve, add-terminal, revoke-terminal", func(args []string) error {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return refca.Command(ctx, args, os.Stdout, os.Stderr)
	})
}
