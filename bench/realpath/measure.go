package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/internal/humanize"
	"github.com/dagdeck/dagdeck/sqlite"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

const deploymentName = "bench"

// bench holds the run's settings and what it measured.
type bench struct {
	work                    string
	bins                    []binary
	rounds, churn, history  int
	gen                     string
	files, mb               int
	anchors                 anchors
	onlyHistory, onlyRounds bool
	results                 map[string]map[string]string // measure → column → figure
	order                   []string
	samples                 map[string][]float64 // "measure/column" → per-round values
	silent                  map[string]bool      // binaries that log no folder builds (older ones)
}

func (b *bench) set(measure, column, figure string) {
	if b.results[measure] == nil {
		b.results[measure] = map[string]string{}
		b.order = append(b.order, measure)
	}
	b.results[measure][column] = figure
}

func (b *bench) add(key string, v float64) {
	if b.samples == nil {
		b.samples = map[string][]float64{}
	}
	b.samples[key] = append(b.samples[key], v)
}

func (b *bench) median(key string) float64 { return median(b.samples[key]) }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (b *bench) run(ctx context.Context) error {
	if b.onlyHistory {
		b.rounds = 0
	}
	for r := range b.rounds {
		log.Printf("round %d of %d", r+1, b.rounds)
		if err := b.round(ctx, r); err != nil {
			return fmt.Errorf("round %d: %w", r+1, err)
		}
	}
	if b.rounds > 0 {
		b.summarizeRounds()
	}
	if b.onlyRounds {
		return nil
	}
	log.Printf("storage after %d deploys at 1 %% churn", b.churn)
	servers, err := b.storage(ctx)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	for i, bin := range b.bins {
		log.Printf("%s: history of %d deploys", bin.name, b.history)
		if err := b.historyMeasures(ctx, bin, servers[i]); err != nil {
			return fmt.Errorf("%s history: %w", bin.name, err)
		}
		servers[i].stop()
	}
	return nil
}

// project generates the reference project in dir.
func (b *bench) project(dir string) error {
	_, err := run("", nil, "python3", b.gen, dir, "--files", fmt.Sprint(b.files), "--mb", fmt.Sprint(b.mb), "--seed", "1")
	return err
}

// mutate changes 1 % of the project's files.
func (b *bench) mutate(dir string, seed int) error {
	_, err := run("", nil, "python3", b.gen, dir, "--mutate", "1", "--seed", fmt.Sprint(seed))
	return err
}

// deploy deploys the project with the real CLI and returns its wall time,
// then waits (untimed) for the server's background work to end.
func deploy(ctx context.Context, s *server, project, description string) (time.Duration, error) {
	d, _, err := s.cli(ctx, "deploy", project, "--deployment", deploymentName, "--description", description)
	if err == nil {
		s.background = s.quiesce()
	}
	return d, err
}

// round measures the first deploy, a 1 % change and the two rollbacks once
// per binary, interleaved with the anchors in an order that rotates.
func (b *bench) round(ctx context.Context, r int) error {
	dir := filepath.Join(b.work, fmt.Sprintf("round%d", r))
	project := filepath.Join(dir, "project")
	if err := b.project(project); err != nil {
		return err
	}
	// The round's files stay until the end of the run: on ext4 without a
	// journal (as on the machines this ran on) creating files is slow for
	// a while after many were deleted nearby, which would charge whatever
	// ran next, most of all what creates thousands of files.
	repos, err := newAnchorRepos(filepath.Join(dir, "anchors"))
	if err != nil {
		return err
	}
	servers := make([]*server, len(b.bins))
	for i, bin := range b.bins {
		if servers[i], err = startServer(bin.path, filepath.Join(dir, bin.name)); err != nil {
			return err
		}
		defer servers[i].stop()
		if _, _, err := servers[i].cli(ctx, "deployment", "create", "--name", deploymentName); err != nil {
			return err
		}
	}

	steps := b.steps(servers, repos, project)
	rotate := func(n int) []step {
		out := append([]step(nil), steps[n%len(steps):]...)
		return append(out, steps[:n%len(steps)]...)
	}
	times := map[string]time.Duration{}
	for _, st := range rotate(r) {
		syscall.Sync() // no step pays for the writes of the one before
		d, err := st.first()
		if err != nil {
			return err
		}
		log.Printf("  first: %s %.2f s", st.name, d.Seconds())
		times["first/"+st.name] = d
	}
	for i, bin := range b.bins {
		_, peak := servers[i].rss()
		b.add("firstRSS/"+bin.name, float64(peak))
		b.add("firstBackground/"+bin.name, servers[i].background.Seconds())
	}
	if err := b.mutate(project, 1000+r); err != nil {
		return err
	}
	for _, st := range rotate(r + 1) {
		if st.next == nil {
			continue
		}
		syscall.Sync()
		d, err := st.next()
		if err != nil {
			return err
		}
		log.Printf("  1 %%: %s %.2f s", st.name, d.Seconds())
		times["next/"+st.name] = d
	}
	for _, phase := range []string{"first", "next"} {
		for _, bin := range b.bins {
			own := times[phase+"/"+bin.name].Seconds()
			b.add(phase+"/"+bin.name, own)
			for _, a := range []string{"tar", "restic", "git"} {
				if at, ok := times[phase+"/"+a]; ok && at > 0 {
					b.add(phase+"/"+bin.name+"/"+a, own/at.Seconds())
				}
			}
		}
		for _, a := range []string{"tar", "restic", "git"} {
			if at, ok := times[phase+"/"+a]; ok {
				b.add(phase+"/"+a, at.Seconds())
			}
		}
	}
	return b.rollbacks(ctx, servers, project, r)
}

// step is one tool's part of a round: a first deploy or backup, and one
// after the 1 % change (nil for tar, which has no incremental mode).
type step struct {
	name        string
	first, next func() (time.Duration, error)
}

func (b *bench) steps(servers []*server, repos *anchorRepos, project string) []step {
	var steps []step
	ctx := context.Background()
	for i, bin := range b.bins {
		s := servers[i]
		steps = append(steps, step{name: bin.name,
			first: func() (time.Duration, error) { return deploy(ctx, s, project, "first") },
			next:  func() (time.Duration, error) { return deploy(ctx, s, project, "1 % change") },
		})
	}
	if b.anchors.tar {
		steps = append(steps, step{name: "tar", first: func() (time.Duration, error) { return repos.tarczf(project) }})
	}
	if b.anchors.restic {
		backup := func() (time.Duration, error) { return repos.resticBackup(project) }
		steps = append(steps, step{name: "restic", first: backup, next: backup})
	}
	if b.anchors.git {
		n := 0
		commit := func() (time.Duration, error) { n++; return repos.gitCommit(project, n) }
		steps = append(steps, step{name: "git", first: commit, next: commit})
	}
	return steps
}

// rollbacks times the rollback API call to the previous deploy, then, after
// three more 1 % deploys, to deploy #2, whose version folder the runtime
// has removed by then.
func (b *bench) rollbacks(ctx context.Context, servers []*server, project string, r int) error {
	for i, bin := range b.bins {
		d, err := rollback(ctx, servers[i], "previous")
		if err != nil {
			return err
		}
		b.add("rollback/"+bin.name, d.Seconds())
	}
	for k := range 3 {
		if err := b.mutate(project, 2000+10*r+k); err != nil {
			return err
		}
		for _, s := range servers {
			if _, err := deploy(ctx, s, project, "another 1 % change"); err != nil {
				return err
			}
		}
	}
	for i, bin := range b.bins {
		logged := len(servers[i].out.String())
		d, err := rollback(ctx, servers[i], "#2")
		if err != nil {
			return err
		}
		log.Printf("  rollback to a removed folder: %s %.0f ms", bin.name, 1000*d.Seconds())
		b.add("rollbackOld/"+bin.name, d.Seconds())
		if b.silent[bin.name] {
			continue // it logs no folder builds: do not wait again
		}
		if took, ok := servers[i].folderBuilt(logged); ok {
			log.Printf("  its folder built beside the call: %s %.0f ms", bin.name, 1000*took.Seconds())
			b.add("rollbackOldFolder/"+bin.name, took.Seconds())
		} else {
			b.silent[bin.name] = true
		}
	}
	return nil
}

// builtRE matches the runtime's log line of a code folder built (since
// the lazy build) and its duration.
var builtRE = regexp.MustCompile(`msg="runtime: built code folder".* took=(\S+)`)

// folderBuilt waits (at most 10 s) for the server to log, after offset in
// its output, that it built a code folder, and returns how long the build
// took. A server that builds its folders before the activation returns
// logs no such line: ok is false.
func (s *server) folderBuilt(offset int) (took time.Duration, ok bool) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := builtRE.FindStringSubmatch(s.out.String()[offset:]); m != nil {
			d, err := time.ParseDuration(m[1])
			return d, err == nil
		}
	}
	return 0, false
}

// rollback times the rollback API call to ref (resolved first, not timed).
func rollback(ctx context.Context, s *server, ref string) (time.Duration, error) {
	c := s.client()
	target, err := c.GetDeploy(ctx, deploymentName, ref)
	if err != nil {
		return 0, err
	}
	syscall.Sync()
	start := time.Now()
	_, err = c.Rollback(ctx, deploymentName, target.ID, dagdeck.RollbackRequest{Description: "bench rollback to " + ref})
	return time.Since(start), err
}

func (b *bench) summarizeRounds() {
	anchorText := func(phase string) string {
		var parts []string
		for _, a := range []struct{ key, label string }{{"tar", "`tar czf`"}, {"restic", "restic"}, {"git", "`git add+commit`"}} {
			if v := b.samples[phase+"/"+a.key]; len(v) > 0 {
				parts = append(parts, fmt.Sprintf("%s %.2f s", a.label, median(v)))
			}
		}
		return strings.Join(parts, "; ")
	}
	for _, m := range []struct{ phase, label string }{{"first", "first deploy"}, {"next", "deploy after a 1 % change"}} {
		for _, bin := range b.bins {
			fig := fmt.Sprintf("%.2f s", b.median(m.phase+"/"+bin.name))
			for _, a := range []struct{ key, label string }{{"tar", "`tar czf`"}, {"restic", "restic"}, {"git", "git"}} {
				if v := b.samples[m.phase+"/"+bin.name+"/"+a.key]; len(v) > 0 {
					fig += fmt.Sprintf(" · **%.2f×** %s", median(v), a.label)
				}
			}
			if m.phase == "first" {
				fig += fmt.Sprintf(" · server peak RSS %s · blobs compressed and server idle %.1f s after", humanize.Bytes(int64(b.median("firstRSS/"+bin.name))), b.median("firstBackground/"+bin.name))
			}
			b.set(m.label, bin.name, fig)
		}
		b.set(m.label, "anchors", anchorText(m.phase))
	}
	for _, m := range []struct{ key, label string }{{"rollback", "rollback API call"}, {"rollbackOld", "rollback to a deploy whose folder the runtime removed"}} {
		for _, bin := range b.bins {
			fig := fmt.Sprintf("%.0f ms", 1000*b.median(m.key+"/"+bin.name))
			if v := b.samples[m.key+"Folder/"+bin.name]; len(v) > 0 {
				fig += fmt.Sprintf(" · its folder built beside the call in %.0f ms (tries wait for it)", 1000*median(v))
			}
			b.set(m.label, bin.name, fig)
		}
		b.set(m.label, "anchors", "—")
	}
}

// storage deploys the project churn times at 1 % churn with every binary
// and anchor, and reports what each keeps on disk. It returns the servers,
// still running, for the history measures.
func (b *bench) storage(ctx context.Context) ([]*server, error) {
	dir := filepath.Join(b.work, "storage")
	project := filepath.Join(dir, "project")
	if err := b.project(project); err != nil {
		return nil, err
	}
	repos, err := newAnchorRepos(filepath.Join(dir, "anchors"))
	if err != nil {
		return nil, err
	}
	servers := make([]*server, len(b.bins))
	for i, bin := range b.bins {
		if servers[i], err = startServer(bin.path, filepath.Join(dir, bin.name)); err != nil {
			return nil, err
		}
		if _, _, err := servers[i].cli(ctx, "deployment", "create", "--name", deploymentName); err != nil {
			return nil, err
		}
	}
	for k := range b.churn {
		if k > 0 {
			if err := b.mutate(project, 5000+k); err != nil {
				return nil, err
			}
		}
		for _, s := range servers {
			if _, err := deploy(ctx, s, project, fmt.Sprint("churn ", k)); err != nil {
				return nil, err
			}
		}
		if b.anchors.restic {
			if _, err := repos.resticBackup(project); err != nil {
				return nil, err
			}
		}
		if b.anchors.git {
			if _, err := repos.gitCommit(project, k); err != nil {
				return nil, err
			}
		}
	}
	if b.onlyHistory {
		return servers, nil
	}
	label := fmt.Sprintf("storage after %d deploys at 1 %% churn", b.churn)
	var restic, git int64
	anchorText := []string{}
	if b.anchors.restic {
		restic = repos.resticSize()
		anchorText = append(anchorText, "restic "+humanize.Bytes(restic))
	}
	if b.anchors.git {
		if git, err = repos.gitSizeAfterGC(project); err != nil {
			return nil, err
		}
		anchorText = append(anchorText, "git after gc "+humanize.Bytes(git))
	}
	projectSize := diskUsage(project)
	anchorText = append(anchorText, "one copy of the code "+humanize.Bytes(projectSize))
	for i, bin := range b.bins {
		data := servers[i].dataDir
		db, _ := filepath.Glob(filepath.Join(data, "dagdeck.db*"))
		stored := diskUsage(append(db, filepath.Join(data, "artifacts"))...)
		all := diskUsage(data, servers[i].codeDir)
		fig := fmt.Sprintf("%s artifacts + database", humanize.Bytes(stored))
		if restic > 0 {
			fig += fmt.Sprintf(" (**%.2f×** restic)", float64(stored)/float64(restic))
		}
		fig += fmt.Sprintf(" · %s data and code folders", humanize.Bytes(all))
		if restic > 0 {
			fig += fmt.Sprintf(" (**%.2f×** restic + one copy)", float64(all)/float64(restic+projectSize))
		}
		b.set(label, bin.name, fig)
	}
	b.set(label, "anchors", strings.Join(anchorText, "; "))
	return servers, nil
}

// historyMeasures fills s's history up to b.history deploys (written
// straight into its SQLite database while it is stopped), restarts it and
// lets its start-up work settle, then measures `deploys list --all` and
// `dagdeck gc`.
func (b *bench) historyMeasures(ctx context.Context, bin binary, s *server) error {
	s.stop()
	if err := fillHistory(ctx, filepath.Join(s.dataDir, "dagdeck.db"), b.history); err != nil {
		return err
	}
	if err := s.start(); err != nil {
		return err
	}
	s.settle()
	d, rss, err := s.cli(ctx, "deploys", "list", "--deployment", deploymentName, "--all")
	if err != nil {
		return err
	}
	listLabel := fmt.Sprintf("`deploys list --all`, %dk deploys", b.history/1000)
	b.set(listLabel, bin.name, fmt.Sprintf("%.2f s · **%.0fk rows/s** · CLI peak RSS %s",
		d.Seconds(), float64(b.history)/d.Seconds()/1000, humanize.Bytes(rss)))
	b.set(listLabel, "anchors", "—")

	gcLabel := fmt.Sprintf("`dagdeck gc`, %dk deploys", b.history/1000)
	fig, err := gcMeasure(ctx, s)
	if err != nil {
		return err
	}
	b.set(gcLabel, bin.name, fig)
	b.set(gcLabel, "anchors", "—")
	return nil
}

// fillHistory adds deploys to the bench Deployment until it has n: copies
// of its current deploy, created every 10 minutes back from now, so most
// are older than the retention window.
func fillHistory(ctx context.Context, path string, n int) error {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	var tmpl *dagdeck.Deploy
	err = db.View(ctx, func(tx dagdeck.Tx) error {
		dep, err := tx.FindDeploymentByName(ctx, deploymentName)
		if err != nil {
			return err
		}
		tmpl, err = tx.FindDeploy(ctx, dep.CurrentDeployID)
		return err
	})
	if err != nil {
		return err
	}
	now := time.Now()
	const batch = 5000
	for done := 0; done < n; done += batch {
		err := db.Update(ctx, func(tx dagdeck.Tx) error {
			for i := done; i < min(done+batch, n); i++ {
				d := *tmpl
				d.ID = dagdeck.NewID()
				d.CreatedAt = now.Add(-time.Duration(n-i) * 10 * time.Minute)
				fin := d.CreatedAt
				d.FinalizedAt = &fin
				d.Description = fmt.Sprint("history ", i)
				d.RollbackFromID = ""
				if err := tx.CreateDeploy(ctx, &d); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// gcMeasure runs `dagdeck gc` while deploying a small project again and
// again, and reports how long GC took, the longest a deploy took while it
// ran (against the median before), and the server's RSS during and after.
func gcMeasure(ctx context.Context, s *server) (string, error) {
	c := s.client()
	probe := func(n int) (time.Duration, error) {
		p := apitest.Project("1.1.0", fmt.Sprint("probe ", n, " ", time.Now().UnixNano()))
		start := time.Now()
		_, err := apitest.Deploy(ctx, c, deploymentName, p, p.Request("1.1.0", "gc probe"))
		return time.Since(start), err
	}
	var before []float64
	for n := range 20 {
		d, err := probe(n)
		if err != nil {
			return "", fmt.Errorf("probe deploy: %w", err)
		}
		before = append(before, d.Seconds())
	}
	startRSS, _ := s.rss()

	var mu sync.Mutex
	var worst time.Duration
	var peak int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	var probeErr error
	go func() { // deploys during GC
		defer wg.Done()
		for n := 100; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			d, err := probe(n)
			mu.Lock()
			if err != nil && probeErr == nil {
				probeErr = err
			}
			worst = max(worst, d)
			mu.Unlock()
			time.Sleep(10 * time.Millisecond)
		}
	}()
	go func() { // server RSS during GC
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			cur, _ := s.rss()
			mu.Lock()
			peak = max(peak, cur)
			mu.Unlock()
		}
	}()
	time.Sleep(200 * time.Millisecond)
	gcTime, _, err := s.cli(ctx, "gc")
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	if err != nil {
		return "", err
	}
	if probeErr != nil {
		return "", fmt.Errorf("probe deploy during gc: %w", probeErr)
	}
	time.Sleep(10 * time.Second) // the Go runtime returns freed memory over a few seconds
	after, _ := s.rss()
	return fmt.Sprintf("gc %.2f s · **longest deploy during gc %.0f ms** (median before %.0f ms) · server RSS before gc %s, during ≤ %s, 10 s after %s",
		gcTime.Seconds(), 1000*worst.Seconds(), 1000*median(before), humanize.Bytes(startRSS), humanize.Bytes(peak), humanize.Bytes(after)), nil
}

// table renders the results as Markdown.
func (b *bench) table() string {
	var sb strings.Builder
	sb.WriteString("| measure |")
	for _, bin := range b.bins {
		sb.WriteString(" " + bin.name + " |")
	}
	sb.WriteString(" anchor in the same run |\n|---|")
	for range b.bins {
		sb.WriteString("---|")
	}
	sb.WriteString("---|\n")
	for _, m := range b.order {
		sb.WriteString("| " + m + " |")
		for _, bin := range b.bins {
			sb.WriteString(" " + b.results[m][bin.name] + " |")
		}
		sb.WriteString(" " + b.results[m]["anchors"] + " |\n")
	}
	if b.onlyHistory {
		fmt.Fprintf(&sb, "\nHistory measures only; %s.\n", strings.Join(os.Args[1:], " "))
		return sb.String()
	}
	fmt.Fprintf(&sb, "\n%d rounds, medians of per-round ratios; %s.\n", b.rounds, strings.Join(os.Args[1:], " "))
	return sb.String()
}
