package app

import (
	"context"

	"madoguchi/app/config"
	"madoguchi/app/staff"
	"madoguchi/app/store"
)

// AddStaff creates a staff account directly in the database that cfg
// names, creating the database if needed. It is for setting up a terminal
// (the first supervisor, from the command line); later accounts are made by
// a supervisor at the counter (Desk.CreateStaff). The account's creation is
// recorded in the audit trail as done by "setup". The caller wipes
// password.
func AddStaff(ctx context.Context, cfg config.Config, a staff.Account, password []byte) error {
	db, err := store.Open(ctx, cfg.StoreTarget())
	if err != nil {
		return err
	}
	defer db.Close()
	return staff.New(db).Create(ctx, "setup", a, password)
}
