package main

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ---- comparison 1: HAMT build and gets against go-hamt-ipld ----

func (r *Results) ipldBinary() (string, error) {
	bin := filepath.Join(r.cfg.work, "gohamtipld.test")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	cmd := exec.Command("go", "test", "-c", "-o", bin, ".")
	cmd.Dir = r.cfg.ipldDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building %s: %w\n%s", r.cfg.ipldDir, err, out)
	}
	return bin, nil
}

// hamtBench runs one benchmark of bench/gohamtipld in its own process.
func (r *Results) hamtBench(bin, bench, impl string, keys int, cpuprof string) (Sample, error) {
	bt := "1x"
	if bench != "Insert" {
		bt = "2s"
		if r.cfg.quick {
			bt = "0.2s"
		}
	}
	args := []string{"-test.run", "XXX", "-test.bench", "^Benchmark" + bench + "/" + impl + "$", "-test.benchtime", bt, "-keys", fmt.Sprint(keys)}
	if cpuprof != "" {
		args = append(args, "-test.cpuprofile", cpuprof)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = r.cfg.work
	s, out, err := command(cmd)
	if err != nil {
		return s, err
	}
	for k, v := range parseBench(out) {
		s.Extra[k] = v
	}
	if len(s.Extra) == 0 {
		return s, fmt.Errorf("no benchmark output from %s %s:\n%s", bench, impl, out)
	}
	return s, nil
}

var hamtCases = []struct{ bench, impl string }{
	{"Insert", "gohamt"}, {"Insert", "go-hamt-ipld-bw8"}, {"Insert", "go-hamt-ipld-bw5"},
	{"GetWarm", "gohamt"}, {"GetWarm", "go-hamt-ipld-bw8"},
	{"GetCold", "gohamt"}, {"GetCold", "go-hamt-ipld-bw8"},
}

func phaseHAMT(r *Results) error {
	bin, err := r.ipldBinary()
	if err != nil {
		return err
	}
	for _, n := range r.cfg.keys {
		for run := range r.cfg.runs {
			for _, c := range hamtCases {
				s, err := r.hamtBench(bin, c.bench, c.impl, n, "")
				if err != nil {
					return err
				}
				logf("hamt %d %s %s run %d: %.1fs wall, %v", n, c.bench, c.impl, run+1, s.Wall, s.Extra)
				r.add(fmt.Sprintf("hamt/%d/%s/%s", n, c.bench, c.impl), s)
			}
		}
	}
	return nil
}

func phaseHAMT10M(r *Results) error {
	bin, err := r.ipldBinary()
	if err != nil {
		return err
	}
	const n = 10_000_000
	for _, impl := range []string{"gohamt", "go-hamt-ipld-bw8"} {
		s, err := r.hamtBench(bin, "Insert", impl, n, "")
		if err != nil {
			return err
		}
		logf("hamt 10M Insert %s: %.1fs wall, %v", impl, s.Wall, s.Extra)
		r.add(fmt.Sprintf("hamt/%d/Insert/%s", n, impl), s)
		if err := writeAll(r); err != nil {
			return err
		}
	}
	return nil
}

// ---- comparison 2: import and full read ----

func (r *Results) dataDir() string { return filepath.Join(r.cfg.work, "data.zarr") }

func phaseImport(r *Results) error {
	src := r.dataDir()
	t0 := time.Now()
	size, err := genZarr(src, r.cfg.dataBytes, r.cfg.chunkXY, 0)
	if err != nil {
		return err
	}
	files := 0
	_ = filepath.Walk(src, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			files++
		}
		return nil
	})
	r.Num["data_bytes"], r.Num["data_files"] = float64(size), float64(files)
	logf("dataset: %d files, %.1f MiB in %s", files, float64(size)/(1<<20), time.Since(t0).Round(time.Second))
	last := r.cfg.runs - 1
	for run := range r.cfg.runs {
		// gohamt on the embedded node.
		repo := filepath.Join(r.cfg.work, fmt.Sprintf("e-%d", run))
		s, str, err := r.child(params{Op: "import", Backend: "node", Repo: repo, Src: src})
		if err != nil {
			return err
		}
		s.Extra["stored"] = float64(duBytes(repo))
		r.add("import/node", s)
		root := str["root"]
		logf("import node run %d: %.1fs cpu %.1fs rss %d MiB", run+1, s.Wall, s.CPU, s.RSS>>20)
		s, _, err = r.child(params{Op: "read", Backend: "node", Repo: repo, Root: root})
		if err != nil {
			return err
		}
		r.add("read/node", s)
		logf("read node run %d: %.1fs", run+1, s.Wall)
		if run == last {
			r.Keep["erepo"], r.Keep["eroot"] = repo, root
		} else {
			os.RemoveAll(repo)
		}

		// Plain directory store.
		s, _, err = r.child(params{Op: "read", Backend: "dir", Src: src})
		if err != nil {
			return err
		}
		r.add("read/dir", s)

		// gohamt through the Kubo adapter.
		repo = filepath.Join(r.cfg.work, fmt.Sprintf("ka-%d", run))
		if err := r.kuboRun(repo, func(k *kubo) error {
			before := duBytes(repo)
			w := startWatch(k.pid())
			s, str, err := r.child(params{Op: "import", Backend: "kubo", RPC: k.rpc, Gateway: k.gateway, Src: src})
			if err != nil {
				return err
			}
			addDaemon(&s, w)
			s.Extra["stored"] = float64(duBytes(repo) - before)
			r.add("import/kuboadapter", s)
			logf("import kuboadapter run %d: %.1fs", run+1, s.Wall)
			root := str["root"]
			w = startWatch(k.pid())
			s, _, err = r.child(params{Op: "read", Backend: "kubo", RPC: k.rpc, Gateway: k.gateway, Root: root})
			if err != nil {
				return err
			}
			addDaemon(&s, w)
			r.add("read/kuboadapter", s)
			if run == last {
				r.Keep["karepo"], r.Keep["karoot"] = repo, root
			}
			return nil
		}); err != nil {
			return err
		}
		if run != last {
			os.RemoveAll(repo)
		}

		// Kubo alone: ipfs add -r / ipfs get.
		repo = filepath.Join(r.cfg.work, fmt.Sprintf("kn-%d", run))
		if err := r.kuboRun(repo, func(k *kubo) error {
			before := duBytes(repo)
			w := startWatch(k.pid())
			s, out, err := command(k.cli("add", "-r", "-Q", "--progress=false", src))
			if err != nil {
				return err
			}
			addDaemon(&s, w)
			s.Extra["stored"] = float64(duBytes(repo) - before)
			r.add("import/kubo", s)
			root := strings.TrimSpace(out)
			logf("import kubo run %d: %.1fs %s", run+1, s.Wall, root)
			dst := filepath.Join(r.cfg.work, "get-out")
			w = startWatch(k.pid())
			s, _, err = command(k.cli("get", "--progress=false", "-o", dst, root))
			if err != nil {
				return err
			}
			addDaemon(&s, w)
			os.RemoveAll(dst)
			r.add("read/kubo", s)
			if run == last {
				r.Keep["knrepo"], r.Keep["knroot"] = repo, root
			}
			return nil
		}); err != nil {
			return err
		}
		if run != last {
			os.RemoveAll(repo)
		}
		if err := writeAll(r); err != nil {
			return err
		}
	}
	return nil
}

// kuboRun starts an offline daemon on repo, runs f, and stops it.
func (r *Results) kuboRun(repo string, f func(*kubo) error) error {
	k, err := startKubo(r.cfg.kuboBin, repo, true)
	if err != nil {
		return err
	}
	defer k.stop()
	return f(k)
}

// addDaemon charges a daemon's CPU during the operation to the sample and
// adds its peak RSS (since startWatch) to the client's.
func addDaemon(s *Sample, w watch) {
	cpu, hwm := w.end()
	s.CPU += cpu
	s.RSS += hwm
	s.Extra["daemon_cpu"] = cpu
	s.Extra["daemon_rss"] = float64(hwm)
}

// ---- comparison 3: peer transfer over loopback ----

// server is an embedded node serving a repo, in a child process.
type server struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
}

func (r *Results) serve(repo string) (*server, error) {
	b := fmt.Sprintf(`{"Op":"serve","Repo":%q}`, repo)
	cmd := exec.Command(r.cfg.self, "child", b)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return &server{cmd: cmd, stdin: stdin, addr: a}, nil
		}
	}
	stdin.Close()
	_ = cmd.Wait()
	return nil, fmt.Errorf("serve: no address")
}

func (s *server) stop() {
	s.stdin.Close()
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

func phaseTransfer(r *Results) error {
	erepo, eroot, knrepo, knroot := r.Keep["erepo"], r.Keep["eroot"], r.Keep["knrepo"], r.Keep["knroot"]
	if erepo == "" || knrepo == "" {
		return fmt.Errorf("transfer needs the import phase")
	}
	kA, err := startKubo(r.cfg.kuboBin, knrepo, false)
	if err != nil {
		return err
	}
	defer kA.stop()
	for run := range r.cfg.runs {
		// embedded → embedded
		srv, err := r.serve(erepo)
		if err != nil {
			return err
		}
		w := startWatch(srv.cmd.Process.Pid)
		repo := filepath.Join(r.cfg.work, fmt.Sprintf("fe-%d", run))
		s, _, err := r.child(params{Op: "fetch", Repo: repo, Root: eroot, Peer: srv.addr})
		cpu, _ := w.end()
		srv.stop()
		os.RemoveAll(repo)
		if err != nil {
			return err
		}
		s.CPU += cpu
		s.Extra["server_cpu"] = cpu
		r.add("transfer/e2e", s)
		logf("transfer e→e run %d: %.1fs", run+1, s.Wall)

		// Kubo → Kubo
		repo = filepath.Join(r.cfg.work, fmt.Sprintf("kb-%d", run))
		if err := r.kuboFetch(repo, kA.swarm, kA.pid(), knroot, "transfer/k2k"); err != nil {
			return err
		}
		os.RemoveAll(repo)

		// embedded → Kubo
		srv, err = r.serve(erepo)
		if err != nil {
			return err
		}
		err = r.kuboFetch(repo, srv.addr, srv.cmd.Process.Pid, eroot, "transfer/e2k")
		srv.stop()
		os.RemoveAll(repo)
		if err != nil {
			return err
		}
		if err := writeAll(r); err != nil {
			return err
		}
	}
	return nil
}

// kuboFetch starts a fresh online daemon, connects it to peer and times
// `ipfs pin add root`.
func (r *Results) kuboFetch(repo, peer string, peerPID int, root, series string) error {
	kB, err := startKubo(r.cfg.kuboBin, repo, false)
	if err != nil {
		return err
	}
	defer kB.stop()
	if _, err := kB.call("swarm/connect", url.Values{"arg": {peer}}); err != nil {
		return err
	}
	wA, wB := startWatch(peerPID), startWatch(kB.pid())
	s, _, err := command(kB.cli("pin", "add", "--progress=false", root))
	if err != nil {
		return err
	}
	addDaemon(&s, wB)
	cpuA, _ := wA.end()
	s.CPU += cpuA
	s.Extra["server_cpu"] = cpuA
	r.add(series, s)
	logf("%s: %.1fs", series, s.Wall)
	return nil
}

// ---- comparison 4: random region reads ----

func phaseRegions(r *Results) error {
	erepo, eroot, karepo, karoot := r.Keep["erepo"], r.Keep["eroot"], r.Keep["karepo"], r.Keep["karoot"]
	if erepo == "" || karepo == "" {
		return fmt.Errorf("regions needs the import phase")
	}
	_, str, err := r.child(params{Op: "convert", Backend: "node", Repo: erepo, Root: eroot})
	if err != nil {
		return err
	}
	eshard := str["root"]
	k, err := startKubo(r.cfg.kuboBin, karepo, true)
	if err != nil {
		return err
	}
	defer k.stop()
	_, str, err = r.child(params{Op: "convert", Backend: "kubo", RPC: k.rpc, Gateway: k.gateway, Root: karoot})
	if err != nil {
		return err
	}
	kshard := str["root"]
	for run := range r.cfg.runs {
		base := params{Op: "regions", Array: "temp", Regions: r.cfg.regions, Window: r.cfg.window, Seed: uint64(run + 1)}
		cases := []struct {
			name string
			p    func(params) params
		}{
			{"node/hamt", func(p params) params { p.Backend, p.Repo, p.Root = "node", erepo, eroot; return p }},
			{"node/sharded", func(p params) params { p.Backend, p.Repo, p.Root, p.Sharded = "node", erepo, eshard, true; return p }},
			{"kubo/hamt", func(p params) params {
				p.Backend, p.RPC, p.Gateway, p.Root = "kubo", k.rpc, k.gateway, karoot
				return p
			}},
			{"kubo/sharded", func(p params) params {
				p.Backend, p.RPC, p.Gateway, p.Root, p.Sharded = "kubo", k.rpc, k.gateway, kshard, true
				return p
			}},
			{"dir", func(p params) params { p.Backend, p.Src = "dir", r.dataDir(); return p }},
		}
		for _, c := range cases {
			var w watch
			if strings.HasPrefix(c.name, "kubo") {
				w = startWatch(k.pid())
			}
			s, _, err := r.child(c.p(base))
			if err != nil {
				return err
			}
			if w.pid != 0 {
				addDaemon(&s, w)
			}
			r.add("regions/"+c.name, s)
			logf("regions %s run %d: cold %.2f ms warm %.2f ms", c.name, run+1, s.Extra["cold_ms"], s.Extra["warm_ms"])
		}
		if err := writeAll(r); err != nil {
			return err
		}
	}
	return nil
}

// ---- comparison 5: cost growth ----

var growthMults = []int{1, 10, 100}

func phaseGrowth(r *Results) error {
	dirs := map[int]string{}
	for _, m := range growthMults {
		d := filepath.Join(r.cfg.work, fmt.Sprintf("g%d.zarr", m))
		size, err := genZarr(d, 0, r.cfg.growthXY, r.cfg.growthBase*m)
		if err != nil {
			return err
		}
		dirs[m] = d
		r.Num[fmt.Sprintf("growth_%d_bytes", m)] = float64(size)
		r.Num[fmt.Sprintf("growth_%d_chunks", m)] = float64(r.cfg.growthBase * m)
	}
	gets := 200
	if r.cfg.quick {
		gets = 20
	}
	for run := range r.cfg.runs {
		for _, m := range growthMults {
			repo := filepath.Join(r.cfg.work, fmt.Sprintf("g-%d", m))
			s, str, err := r.child(params{Op: "import", Backend: "node", Repo: repo, Src: dirs[m]})
			if err != nil {
				return err
			}
			s.Extra["stored"] = float64(duBytes(repo))
			r.add(fmt.Sprintf("growth/%d/import", m), s)
			s, _, err = r.child(params{Op: "coldgets", Backend: "node", Repo: repo, Root: str["root"], Array: "temp", Gets: gets, Seed: uint64(run + 1)})
			if err != nil {
				return err
			}
			r.add(fmt.Sprintf("growth/%d/coldget", m), s)
			logf("growth %d× run %d: blocks/get %.2f", m, run+1, s.Extra["blocks_per_get"])
			os.RemoveAll(repo)
		}
		if err := writeAll(r); err != nil {
			return err
		}
	}
	return nil
}

// ---- CPU profiles of the gohamt side of each comparison ----

func phaseProfiles(r *Results) error {
	dir := filepath.Join(r.cfg.work, "prof")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if bin, err := r.ipldBinary(); err == nil {
		prof := filepath.Join(dir, "hamt-insert.prof")
		if _, err := r.hamtBench(bin, "Insert", "gohamt", r.cfg.keys[0], prof); err == nil {
			r.Profiles["hamt insert (gohamt)"] = pprofTop(bin, prof)
		}
		prof = filepath.Join(dir, "hamt-getwarm.prof")
		if _, err := r.hamtBench(bin, "GetWarm", "gohamt", r.cfg.keys[0], prof); err == nil {
			r.Profiles["hamt warm get (gohamt, includes the build)"] = pprofTop(bin, prof)
		}
	}
	if r.Keep["erepo"] == "" {
		return nil
	}
	prof := filepath.Join(dir, "import.prof")
	repo := filepath.Join(r.cfg.work, "prof-e")
	if _, _, err := r.child(params{Op: "import", Backend: "node", Repo: repo, Src: r.dataDir(), CPUProf: prof}); err != nil {
		return err
	}
	os.RemoveAll(repo)
	r.Profiles["import (embedded node)"] = pprofTop(r.cfg.self, prof)
	prof = filepath.Join(dir, "read.prof")
	if _, _, err := r.child(params{Op: "read", Backend: "node", Repo: r.Keep["erepo"], Root: r.Keep["eroot"], CPUProf: prof}); err != nil {
		return err
	}
	r.Profiles["full read (embedded node)"] = pprofTop(r.cfg.self, prof)
	srv, err := r.serve(r.Keep["erepo"])
	if err != nil {
		return err
	}
	prof = filepath.Join(dir, "fetch.prof")
	_, _, err = r.child(params{Op: "fetch", Repo: filepath.Join(r.cfg.work, "prof-f"), Root: r.Keep["eroot"], Peer: srv.addr, CPUProf: prof})
	srv.stop()
	os.RemoveAll(filepath.Join(r.cfg.work, "prof-f"))
	if err != nil {
		return err
	}
	r.Profiles["fetch e→e (fetching node)"] = pprofTop(r.cfg.self, prof)
	return nil
}

// pprofTop is the top of `go tool pprof -top` for a profile.
func pprofTop(bin, prof string) string {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=10", bin, prof).Output()
	if err != nil {
		return "pprof failed: " + err.Error()
	}
	var keep []string
	started := false
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "flat ") {
			started = true
		}
		if started || strings.HasPrefix(l, "Duration") || strings.HasPrefix(l, "Showing") {
			keep = append(keep, l)
		}
	}
	return strings.TrimRight(strings.Join(keep, "\n"), "\n")
}
