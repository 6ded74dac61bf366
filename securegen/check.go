package securegen

import "context"

// CheckShipped runs, on its own, the check Generate starts with in contract
// mode: it fails when o.ContractCode already has a migration in the lock
// file (o.LockPath) and, with o.Replace, when that migration was uploaded or
// its placeholder (in o.PlaceholderDir) is in git. A pipeline runs it before
// replacing a local import, so a shipped contract is refused before anything
// changes. It needs no database.
func CheckShipped(ctx context.Context, o Options) error {
	_, err := checkShipped(ctx, o)
	return err
}
