package refca

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// RevocationUsage describes the revocation-information subcommands.
const RevocationUsage = `  madoguchi refca add-verifier -dir DIR -name NAME -category CAT [-member M]... -out PREFIX
      register a verifier (届出) and issue its access certificate as PREFIX.pem and PREFIX.key;
      CAT is one of: ` + "government court processor accredited-ca specified-ca school (art. 17(1)),\n" +
	`      zeirishi shihoshoshi gyoseishoshi benrishi tochikaoku sharoshi notary (art. 17(5), need -member)
  madoguchi refca list-verifiers -dir DIR
      list registered and removed verifiers
  madoguchi refca remove-verifier -dir DIR -id N [-note TEXT]
      end a verifier's registration: its access certificate is refused from the next request on
  madoguchi refca fetch-log -dir DIR [-since RFC3339] [-verifier N] [-limit N]
      list requests for revocation information (granted and refused)
  madoguchi refca regenerate-crls -dir DIR
      build every partition's complete CRL now (the server also does this on schedule)
`

func revocationCommand(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(name, stderr)
	dir := fs.String("dir", "", "the CA directory")
	var (
		vname, category, out, note, since *string
		id, verifier                      *int64
		limit                             *int
		members                           multiFlag
	)
	switch name {
	case "add-verifier":
		vname = fs.String("name", "", "the verifier's name (届出者の名称)")
		category = fs.String("category", "", "the verifier's category (art. 17(1) item or art. 17(5) federation)")
		fs.Var(&members, "member", "for a federation: a member it answers for (repeatable)")
		out = fs.String("out", "", "output prefix: writes PREFIX.pem and PREFIX.key")
	case "remove-verifier":
		id = fs.Int64("id", 0, "the verifier's id (see list-verifiers)")
		note = fs.String("note", "registration ended", "why")
	case "fetch-log":
		since = fs.String("since", "", "only requests at or after this time (RFC 3339)")
		verifier = fs.Int64("verifier", 0, "only this verifier's requests")
		limit = fs.Int("limit", 1000, "at most this many lines")
	}
	dbURL := databaseURLFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 {
		return fmt.Errorf("%s: -dir is required and no arguments are taken", name)
	}
	ca, err := Open(ctx, *dir, Options{DatabaseURL: *dbURL})
	if err != nil {
		return err
	}
	defer ca.Close()
	switch name {
	case "add-verifier":
		if *vname == "" || *category == "" || *out == "" {
			return errors.New("add-verifier: -name, -category and -out are required")
		}
		v, cert, key, err := ca.AddVerifier(ctx, VerifierOptions{Name: *vname, Category: VerifierCategory(*category), Members: members})
		if err != nil {
			return err
		}
		if err := writeFile(*out+".key", mustPKCS8(key), true); err != nil {
			return err
		}
		if err := writeFile(*out+".pem", certPEM(cert.Raw), false); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "verifier %d registered: %s (%s)\n", v.ID, v.Name, v.Category.Japanese())
		fmt.Fprintf(stdout, "access certificate %s written to %s.pem (key %s.key)\n", v.Serial, *out, *out)
		return nil
	case "list-verifiers":
		vs, err := ca.Verifiers(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCATEGORY\tMEMBERS\tCERTIFICATE\tREGISTERED\tREMOVED")
		for _, v := range vs {
			removed := "-"
			if !v.Active() {
				removed = v.RemovedAt.Format(time.RFC3339) + " (" + v.RemovedNote + ")"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Name, v.Category, strings.Join(v.Members, ","), v.Serial,
				v.CreatedAt.Format(time.RFC3339), removed)
		}
		return tw.Flush()
	case "remove-verifier":
		if *id == 0 {
			return errors.New("remove-verifier: -id is required")
		}
		if err := ca.RemoveVerifier(ctx, *id, *note); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "verifier %d removed\n", *id)
		return nil
	case "fetch-log":
		var t time.Time
		if *since != "" {
			if t, err = time.Parse(time.RFC3339, *since); err != nil {
				return fmt.Errorf("fetch-log: -since: %w", err)
			}
		}
		recs, err := ca.FetchLog(ctx, t, *verifier, *limit)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tVERIFIER\tCLIENT\tWHAT\tRESULT")
		for _, r := range recs {
			result := "granted"
			if !r.Granted {
				result = "refused: " + r.Detail
			}
			vid := "-"
			if r.VerifierID != 0 {
				vid = fmt.Sprint(r.VerifierID)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.At.Format(time.RFC3339Nano), vid, r.Client, r.What, result)
		}
		return tw.Flush()
	case "regenerate-crls":
		run, err := ca.RegenerateCRLs(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "CRL number %d: %d partitions, %d entries, largest %d bytes, next update %s\n",
			run.Number, run.Partitions, run.Entries, run.Largest, run.NextUpdate.Format(time.RFC3339))
		return nil
	}
	return fmt.Errorf("unknown subcommand %q", name)
}
