package refca

import (
	"bytes"
	"context"
	"crypto/tls"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"madoguchi/app/prefecture"
)

// TestVerifierCommands registers, lists and removes verifiers with the
// command line while the CA serves, and reads the fetch log: a removal by
// another process ends access at the next request.
func TestVerifierCommands(t *testing.T) {
	e := newEnv(t, SetupOptions{RevocationURL: "http://crl.example.jp"}, nil)
	ctx := context.Background()
	cmd := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		base := []string{args[0], "-dir", e.dir}
		if u := testDatabaseURL(t, e.dir); u != "" {
			base = append(base, "-database-url", u)
		}
		err := Command(ctx, append(base, args[1:]...), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	got, err := e.client.Enroll(ctx, csrFor(t, rsaKey(t, 0), resident("山田\u3000太郎")))
	if err != nil {
		t.Fatal(err)
	}
	if dp := got.Certificate.CRLDistributionPoints; len(dp) != 1 || !strings.HasPrefix(dp[0], "http://crl.example.jp/crl/"+testCode+"/") {
		t.Errorf("DP %v", dp)
	}
	prefix := filepath.Join(t.TempDir(), "zeiri")
	for _, tt := range []struct {
		args []string
		want string
		ok   bool
	}{
		{[]string{"add-verifier", "-name", "日本税理士会連合会", "-category", "zeirishi", "-member", "税理士A", "-member", "税理士B", "-out", prefix}, "verifier 1 registered", true},
		{[]string{"add-verifier", "-name", "日本税理士会連合会", "-category", "zeirishi", "-out", prefix + "2"}, "federation", false},
		{[]string{"add-verifier", "-name", "x", "-category", "nobody", "-out", prefix + "3"}, "unknown verifier category", false},
		{[]string{"list-verifiers"}, "税理士A,税理士B", true},
		{[]string{"regenerate-crls"}, "partitions", true},
	} {
		out, err := cmd(tt.args...)
		if (err == nil) != tt.ok || !strings.Contains(out+errString(err), tt.want) {
			t.Errorf("%v: %v\n%s", tt.args, err, out)
		}
	}
	pair, err := tls.LoadX509KeyPair(prefix+".pem", prefix+".key")
	if err != nil {
		t.Fatal(err)
	}
	vc := e.httpsClient(&pair)
	part := Partition{testCode, shardOf(got.Certificate.SerialNumber, DefaultCRLShards)}
	if st, b, _ := get(t, vc, "GET", e.url+part.FullPath(), "", nil); st != http.StatusOK {
		t.Fatalf("registered verifier: HTTP %d %s", st, b)
	}
	if out, err := cmd("remove-verifier", "-id", "1", "-note", "廃止届"); err != nil || !strings.Contains(out, "removed") {
		t.Fatalf("remove-verifier: %v %s", err, out)
	}
	if st, _, code := get(t, vc, "GET", e.url+part.DeltaPath(), "", nil); st != http.StatusForbidden || code != prefecture.RefusalVerifierRemoved {
		t.Errorf("removed verifier: HTTP %d %q", st, code)
	}
	e.ca.rev.fetch.Flush()
	out, err := cmd("fetch-log", "-verifier", "1")
	if err != nil || !strings.Contains(out, "crl "+part.String()+".crl") || !strings.Contains(out, "granted") ||
		!strings.Contains(out, "refused: "+prefecture.RefusalVerifierRemoved) {
		t.Errorf("fetch-log: %v\n%s", err, out)
	}
	if out, err := cmd("list-verifiers"); err != nil || !strings.Contains(out, "廃止届") {
		t.Errorf("list after removal: %v\n%s", err, out)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
