// Command realpath measures dagdeck the way users run it, against tar, restic
// and git run in the same process on the same files (DESIGN §8, issue 10).
//
//	go run ./bench/realpath [-rounds 3] [-only history] [-binary name=path ...] [-out FILE]
//
// It builds the real binary (or takes the ones given), starts `dagdeck
// server` on 127.0.0.1 with its defaults (SQLite, an artifact folder, the
// embedded runtime), makes the reference project with
// ../shared/tools/genproject.py (2,000 files, 100 MB: 1,000 Airflow YAML
// Dags and compressible SQL/CSV text) and drives it with the real CLI:
//
//   - first deploy, and a deploy after a 1 % change (ratios against tar czf,
//     restic backup and git add+commit on the same files, interleaved, the
//     median of per-round ratios), with the server's peak RSS;
//   - the rollback API call, and a rollback to a deploy whose version folder
//     the runtime removed;
//   - storage after 64 deploys at 1 % churn: artifacts + database, and the
//     whole data folder and the runtime's code folder, counting hard-linked
//     files once, against restic's
//     repository and git's after gc;
//   - `deploys list --all` over 100k deploys (rows/s, CLI peak RSS) and
//     `dagdeck gc` with 100k deploys (the longest a deploy waited while it
//     ran, server RSS during and after).
//
// With -only history, only the last two measures run: each binary's server
// gets the reference project deployed -deploys times at 1 % churn (no
// anchors, no storage figures) before its history is filled.
//
// Several binaries (-binary before=/tmp/old -binary after=/tmp/new) are
// measured in the same run, interleaved with the anchors. A missing anchor
// tool is skipped with a message. Nothing is judged: the figures are
// printed as a Markdown table. Heavy: run it once, not in a loop.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
)

// binaryFlag collects -binary name=path.
type binaryFlag []binary

type binary struct{ name, path string }

func (b *binaryFlag) String() string { return fmt.Sprint(*b) }

func (b *binaryFlag) Set(v string) error {
	name, path, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want name=path")
	}
	*b = append(*b, binary{name, path})
	return nil
}

func main() {
	var bins binaryFlag
	rounds := flag.Int("rounds", 3, "rounds of the first-deploy, 1 % and rollback measures")
	churn := flag.Int("deploys", 64, "deploys at 1 % churn for the storage measure (and before the history measures)")
	history := flag.Int("history", 100_000, "deploys in the history for list --all and gc")
	genproject := flag.String("genproject", "/work/shared/tools/genproject.py", "the reference project generator")
	files := flag.Int("files", 2000, "files in the reference project")
	mb := flag.Int("mb", 100, "megabytes in the reference project")
	out := flag.String("out", "", "also write the table to this file")
	keep := flag.Bool("keep", false, "keep the work directory")
	only := flag.String("only", "", `run only these measures: "rounds" (first deploy, 1 % change, rollbacks) or "history" (deploys list --all and gc)`)
	flag.Var(&bins, "binary", "name=path of a dagdeck binary to measure (repeatable; default: build this tree)")
	flag.Parse()
	log.SetFlags(log.Ltime)
	if *only != "" && *only != "history" && *only != "rounds" {
		log.Fatalf("-only %q: the choices are rounds and history", *only)
	}

	work, err := os.MkdirTemp("", "dagdeck-realpath-")
	if err != nil {
		log.Fatal(err)
	}
	if !*keep {
		defer os.RemoveAll(work)
	}
	// Run as root, the server runs tasks as nobody, with their code in
	// --code-dir: nobody must be able to pass through (not list) the work
	// directory to reach it.
	if err := os.Chmod(work, 0o711); err != nil {
		log.Fatal(err)
	}
	if len(bins) == 0 {
		path := filepath.Join(work, "dagdeck")
		if err := build(path); err != nil {
			log.Fatal(err)
		}
		bins = append(bins, binary{"dagdeck", path})
	}
	b := &bench{
		work: work, bins: bins, rounds: *rounds, churn: *churn, history: *history,
		gen: *genproject, files: *files, mb: *mb, onlyHistory: *only == "history", onlyRounds: *only == "rounds",
		results: map[string]map[string]string{}, silent: map[string]bool{},
	}
	if !b.onlyHistory {
		b.anchors = findAnchors()
	}
	ctx := context.Background()
	if err := b.run(ctx); err != nil {
		log.Fatal(err)
	}
	table := b.table()
	fmt.Print(table)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(table), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
