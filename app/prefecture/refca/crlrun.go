package refca

import (
	"context"
	"crypto/x509/pkix"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// revocationState is the CA's revocation information: the current full
// CRL run (files under <dir>/crl/<number>/), cached delta CRLs, the OCSP
// responder and the fetch log.
type revocationState struct {
	base   string // Settings.revocationBase
	crlDir string // <dir>/crl

	runMu sync.Mutex // one full run at a time
	mu    sync.Mutex // guards run and deltas
	run   *crlRun
	// deltas holds the last delta CRL built per partition.
	deltas map[Partition]*deltaCache
	// gen is bumped by every revocation.
	gen atomic.Uint64

	ocsp  *ocspResponder
	fetch *fetchLogger
}

type deltaCache struct {
	der        []byte
	gen        uint64
	run        int64
	upTo       int64 // the revocation index's max(seq) it covers
	thisUpdate time.Time
}

// MaxPartitionSize is the size bound of a partition CRL; a full run warns
// about any larger one.
const MaxPartitionSize = 5 << 20

// ErrNoPartition is returned for a partition no certificate names.
var ErrNoPartition = errors.New("refca: no such CRL partition")

// openRevocation loads the revocation state at Open.
func (ca *CA) openRevocation(ctx context.Context) error {
	ca.rev = &revocationState{
		base:   ca.settings.revocationBase(),
		crlDir: filepath.Join(ca.dir, "crl"),
		deltas: map[Partition]*deltaCache{},
	}
	run, err := ca.store.lastRun(ctx)
	if err != nil {
		return err
	}
	ca.rev.run = run
	if ca.rev.ocsp, err = ca.openOCSP(); err != nil {
		return err
	}
	ca.rev.fetch = newFetchLogger(ca.store, ca.log)
	return nil
}

// closeRevocation flushes the fetch log.
func (ca *CA) closeRevocation() {
	if ca.rev != nil && ca.rev.fetch != nil {
		ca.rev.fetch.Close()
	}
}

// RevocationURL is the stable base written into certificates' CRL
// distribution points and OCSP locations.
func (ca *CA) RevocationURL() string { return ca.rev.base }

// crlChanged marks delta CRLs stale and refreshes pre-produced OCSP
// responses after a revocation.
func (ca *CA) crlChanged() {
	ca.rev.gen.Add(1)
	ca.ocspRefresh(context.Background())
}

// deltaLifetime is the distance from a delta CRL's thisUpdate to its
// nextUpdate: a 24th of the full CRL's, at least a minute.
func (ca *CA) deltaLifetime() time.Duration { return max(ca.crlLife/24, time.Minute) }

// CRLRun describes a full CRL run.
type CRLRun struct {
	Number     int64
	ThisUpdate time.Time
	NextUpdate time.Time
	Partitions int
	Entries    int
	Largest    int // bytes of the largest partition CRL
}

// RegenerateCRLs builds every partition's complete CRL with one new CRL
// number, from one pass over the revocation index, on all cores, and
// makes it current. Delta CRLs from then on are relative to it.
func (ca *CA) RegenerateCRLs(ctx context.Context) (CRLRun, error) {
	ca.rev.runMu.Lock()
	defer ca.rev.runMu.Unlock()
	return ca.regenerate(ctx)
}

// runDue reports how long until the current run is due for replacement
// (<= 0: now).
func (ca *CA) runDue() time.Duration {
	ca.rev.mu.Lock()
	run := ca.rev.run
	ca.rev.mu.Unlock()
	if run == nil {
		return 0
	}
	return run.ThisUpdate.Add(ca.crlLife / 2).Sub(ca.now())
}

// regenerate is RegenerateCRLs with runMu held.
func (ca *CA) regenerate(ctx context.Context) (CRLRun, error) {
	now := ca.now().Truncate(time.Second)
	seq, err := ca.store.maxSeq(ctx)
	if err != nil {
		return CRLRun{}, err
	}
	number, err := ca.store.nextCRLNumber(ctx)
	if err != nil {
		return CRLRun{}, err
	}
	run := &crlRun{Number: number, ThisUpdate: now, NextUpdate: now.Add(ca.crlLife), Seq: seq}
	dir := filepath.Join(ca.rev.crlDir, strconv.FormatInt(number, 10))
	munis, err := ca.store.crlMunicipalities(ctx)
	if err != nil {
		return CRLRun{}, err
	}
	for _, m := range munis {
		if err := os.MkdirAll(filepath.Join(dir, m.code), 0o755); err != nil {
			return CRLRun{}, err
		}
	}

	type job struct {
		p       Partition
		entries []crlItem
	}
	jobs := make(chan job, 4)
	var (
		wg      sync.WaitGroup
		errMu   sync.Mutex
		firstEr error
		largest atomic.Int64
		count   atomic.Int64
		parts   atomic.Int64
	)
	fail := func(err error) {
		errMu.Lock()
		if firstEr == nil {
			firstEr = err
		}
		errMu.Unlock()
	}
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				der, err := ca.signPartition(j.p, run, j.entries, 0)
				if err == nil {
					err = writeAtomic(filepath.Join(dir, j.p.Municipality, strconv.Itoa(j.p.Shard)+".crl"), der)
				}
				if err != nil {
					fail(err)
					continue
				}
				if len(der) > MaxPartitionSize {
					ca.log.Warn("a CRL partition exceeds the size bound: give new municipalities more shards (crl_shards)",
						"partition", j.p.String(), "bytes", len(der))
				}
				parts.Add(1)
				count.Add(int64(len(j.entries)))
				for {
					l := largest.Load()
					if int64(len(der)) <= l || largest.CompareAndSwap(l, int64(len(der))) {
						break
					}
				}
			}
		}()
	}

	seen := map[Partition]bool{}
	var cur Partition
	var entries []crlItem
	flush := func() {
		if entries != nil || cur.Municipality != "" {
			seen[cur] = true
			jobs <- job{cur, entries}
		}
	}
	scanErr := ca.store.eachRevocationRaw(ctx, now, seq, func(muni []byte, shard int, serial []byte, at int64, reason []byte) error {
		if shard != cur.Shard || string(muni) != cur.Municipality {
			flush()
			cur, entries = Partition{string(muni), shard}, make([]crlItem, 0, 1024)
			if err := os.MkdirAll(filepath.Join(dir, cur.Municipality), 0o755); err != nil {
				return err
			}
		}
		sn, err := serialContents(string(serial))
		if err != nil {
			return err
		}
		rs, err := parseStoredReason(string(reason))
		if err != nil {
			return err
		}
		entries = append(entries, crlItem{serial: sn, at: at, reason: rs.CRLReason()})
		return nil
	})
	if scanErr == nil {
		flush()
		for _, m := range munis {
			for s := range m.shards {
				if p := (Partition{m.code, s}); !seen[p] {
					jobs <- job{p, nil}
				}
			}
		}
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(scanErr, firstEr); err != nil {
		os.RemoveAll(dir)
		return CRLRun{}, err
	}
	if err := ca.store.saveRun(ctx, run); err != nil {
		return CRLRun{}, err
	}
	ca.rev.mu.Lock()
	prev := ca.rev.run
	ca.rev.run = run
	clear(ca.rev.deltas)
	ca.rev.mu.Unlock()
	ca.pruneRuns(run.Number, prev)
	ca.log.Info("full CRLs regenerated", "number", number, "partitions", parts.Load(), "entries", count.Load())
	return CRLRun{Number: number, ThisUpdate: run.ThisUpdate, NextUpdate: run.NextUpdate,
		Partitions: int(parts.Load()), Entries: int(count.Load()), Largest: int(largest.Load())}, nil
}

// pruneRuns removes the files of runs older than the previous one, which
// is kept for requests in flight.
func (ca *CA) pruneRuns(current int64, prev *crlRun) {
	ents, err := os.ReadDir(ca.rev.crlDir)
	if err != nil {
		return
	}
	for _, e := range ents {
		n, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil || n == current || prev != nil && n == prev.Number {
			continue
		}
		os.RemoveAll(filepath.Join(ca.rev.crlDir, e.Name()))
	}
}

// signPartition signs a partition's complete CRL (base 0) or its delta
// CRL relative to the complete CRL numbered base.
func (ca *CA) signPartition(p Partition, run *crlRun, entries []crlItem, deltaNumber int64) ([]byte, error) {
	if deltaNumber != 0 {
		now := ca.now().Truncate(time.Second)
		return ca.encodeCRL(deltaNumber, now, now.Add(ca.deltaLifetime()), entries, []pkix.Extension{
			issuingDistributionPoint(ca.rev.base + p.FullPath()),
			deltaCRLIndicator(run.Number),
		})
	}
	return ca.encodeCRL(run.Number, run.ThisUpdate, run.NextUpdate, entries, []pkix.Extension{
		issuingDistributionPoint(ca.rev.base + p.FullPath()),
		freshestCRL(ca.rev.base + p.DeltaPath()),
	})
}

// currentRun returns the current full run, making the first one if none.
// A run made by another process sharing the store (regenerate-crls)
// becomes current here too.
func (ca *CA) currentRun(ctx context.Context) (*crlRun, error) {
	stored, err := ca.store.lastRun(ctx)
	if err != nil {
		return nil, err
	}
	ca.rev.mu.Lock()
	if stored != nil && (ca.rev.run == nil || stored.Number > ca.rev.run.Number) {
		ca.rev.run = stored
		clear(ca.rev.deltas)
	}
	run := ca.rev.run
	ca.rev.mu.Unlock()
	if run != nil {
		return run, nil
	}
	ca.rev.runMu.Lock()
	ca.rev.mu.Lock()
	missing := ca.rev.run == nil
	ca.rev.mu.Unlock()
	if missing {
		_, err = ca.regenerate(ctx)
	}
	ca.rev.runMu.Unlock()
	if err != nil {
		return nil, err
	}
	ca.rev.mu.Lock()
	defer ca.rev.mu.Unlock()
	return ca.rev.run, nil
}

// checkPartition reports ErrNoPartition unless some certificate can name p.
func (ca *CA) checkPartition(ctx context.Context, p Partition) error {
	var shards int
	err := ca.store.db.QueryRowContext(ctx, "SELECT shards FROM crl_municipalities WHERE code = ?", p.Municipality).Scan(&shards)
	if err != nil || p.Shard >= shards {
		return ErrNoPartition
	}
	return nil
}

// FullCRL returns the complete CRL of a partition from the current run,
// DER-encoded. A partition of a municipality added since the run is built
// on first request, with the run's number and contents.
func (ca *CA) FullCRL(ctx context.Context, p Partition) ([]byte, error) {
	if err := ca.checkPartition(ctx, p); err != nil {
		return nil, err
	}
	run, err := ca.currentRun(ctx)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(ca.rev.crlDir, strconv.FormatInt(run.Number, 10), p.Municipality, strconv.Itoa(p.Shard)+".crl")
	der, err := os.ReadFile(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return der, err
	}
	rows, err := ca.store.partitionRevocations(ctx, p, 0, run.Seq, run.ThisUpdate)
	if err != nil {
		return nil, err
	}
	if der, err = ca.signPartition(p, run, listEntries(rows), 0); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return der, writeAtomic(path, der)
}

// DeltaCRL returns the delta CRL of a partition: the revocations since the
// current full run, with a deltaCRLIndicator naming the run's number. It
// is rebuilt, with a new CRL number, after a revocation and once half its
// lifetime has passed.
func (ca *CA) DeltaCRL(ctx context.Context, p Partition) ([]byte, error) {
	if err := ca.checkPartition(ctx, p); err != nil {
		return nil, err
	}
	run, err := ca.currentRun(ctx)
	if err != nil {
		return nil, err
	}
	gen := ca.rev.gen.Load()
	now := ca.now()
	// Read before the cache check: another CA process sharing the store
	// may have revoked certificates that this process's gen does not see.
	upTo, err := ca.store.maxSeq(ctx)
	if err != nil {
		return nil, err
	}
	ca.rev.mu.Lock()
	defer ca.rev.mu.Unlock()
	if c := ca.rev.deltas[p]; c != nil && c.gen == gen && c.run == run.Number && c.upTo == upTo && now.Sub(c.thisUpdate) < ca.deltaLifetime()/2 {
		return c.der, nil
	}
	rows, err := ca.store.partitionRevocations(ctx, p, run.Seq, upTo, now)
	if err != nil {
		return nil, err
	}
	number, err := ca.store.nextCRLNumber(ctx)
	if err != nil {
		return nil, err
	}
	der, err := ca.signPartition(p, run, listEntries(rows), number)
	if err != nil {
		return nil, err
	}
	ca.rev.deltas[p] = &deltaCache{der: der, gen: gen, run: run.Number, upTo: upTo, thisUpdate: now}
	return der, nil
}

func listEntries(rows []revocationRow) []crlItem {
	out := make([]crlItem, 0, len(rows))
	for _, r := range rows {
		if sn, err := serialContents(r.Serial); err == nil {
			out = append(out, crlItem{serial: sn, at: r.RevokedAt.Unix(), reason: r.Reason.CRLReason()})
		}
	}
	return out
}

// Partitions lists every partition of a municipality ("" for all).
func (ca *CA) Partitions(ctx context.Context, municipality string) ([]Partition, error) {
	munis, err := ca.store.crlMunicipalities(ctx)
	if err != nil {
		return nil, err
	}
	var out []Partition
	for _, m := range munis {
		if municipality == "" || m.code == municipality {
			for s := range m.shards {
				out = append(out, Partition{m.code, s})
			}
		}
	}
	return out, nil
}

// scheduleCRLs regenerates the full CRLs when the CA starts without a
// current run, and again every half of their lifetime, until ctx ends.
func (ca *CA) scheduleCRLs(ctx context.Context) {
	for ctx.Err() == nil {
		wait := ca.runDue()
		if wait <= 0 {
			// Checked again under the lock: a run made meanwhile (by
			// RegenerateCRLs) counts.
			ca.rev.runMu.Lock()
			var err error
			if ca.runDue() <= 0 {
				_, err = ca.regenerate(ctx)
			}
			ca.rev.runMu.Unlock()
			if err == nil || ctx.Err() != nil {
				continue
			}
			ca.log.Error("full CRL run failed", "err", err)
			wait = time.Minute
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// writeAtomic writes data to path through a temporary file and a rename.
func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
