package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gohamt/gohamt/internal/pinclient"
	"github.com/ipfs/go-cid"
	ma "github.com/multiformats/go-multiaddr"
	"golang.org/x/term"
)

const pinRemoteUsage = "service add NAME URL --token-file F | service ls [--stat] | service rm NAME | add CID --service NAME [--name N] [--background] [--origin MULTIADDR]... | ls --service NAME [--status S,S] [--cid C,C] [--name N] | rm --service NAME (REQUESTID... | --cid C [--status S] [--name N] [--force])"

// runPinRemote is `gohamt pin remote …`: remote pinning through the IPFS
// Pinning Service API, as Kubo's `ipfs pin remote`.
func runPinRemote(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "service":
		op := ""
		if len(args) > 0 {
			op, args = args[0], args[1:]
		}
		switch op {
		case "add":
			return pinServiceAdd(args, stdout, stderr)
		case "ls":
			return pinServiceLs(ctx, args, stdout, stderr)
		case "rm":
			return pinServiceRm(args, stdout, stderr)
		}
		return fmt.Errorf("%w: pin remote service takes add, ls or rm, not %q", errUsage, op)
	case "add":
		return pinRemoteAdd(ctx, args, stdout, stderr)
	case "ls":
		return pinRemoteLs(ctx, args, stdout, stderr)
	case "rm":
		return pinRemoteRm(ctx, args, stdout, stderr)
	case "-h", "-help", "--help":
		fmt.Fprintf(stdout, "usage: gohamt pin remote %s\n", pinRemoteUsage)
		return nil
	}
	return fmt.Errorf("%w: pin remote takes service, add, ls or rm, not %q", errUsage, sub)
}

func pinServiceAdd(args []string, stdout, stderr io.Writer) error {
	fs, bf := newFlagSet("pin remote service add", "NAME URL --token-file F", "Add a remote pinning service (an IPFS Pinning Service API endpoint) to the repo's list. The token stays in F: the list keeps F's path, and F is read each time the service is used.", stderr)
	tokenFile := fs.String("token-file", "", "the service's access token: the first line of this file (required)")
	pos, err := parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	name := pos[0]
	if !serviceName.MatchString(name) {
		return fmt.Errorf("%w: service name %q: use letters, digits, '.', '_' and '-' (at most 64)", errUsage, name)
	}
	endpoint, err := pinclient.NormalizeEndpoint(pos[1])
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *tokenFile == "" {
		return fmt.Errorf("%w: pin remote service add needs --token-file", errUsage)
	}
	abs, err := filepath.Abs(*tokenFile)
	if err != nil {
		return err
	}
	tok, err := readToken(abs)
	if err != nil {
		return err
	}
	if _, err := pinclient.New(endpoint, tok); err != nil {
		return fmt.Errorf("token file %s: %w", abs, errors.Unwrap(err))
	}
	svcs, err := loadPinServices(bf.repo)
	if err != nil {
		return err
	}
	if old, ok := svcs.Services[name]; ok {
		return fmt.Errorf("service %s is already in the list (%s): remove it first with `gohamt pin remote service rm %s`", name, old.Endpoint, name)
	}
	if fi, err := os.Stat(abs); err == nil && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(stderr, "warning: token file %s can be read by other users (chmod 600 it)\n", abs)
	}
	if strings.HasPrefix(endpoint, "http://") && !loopbackURL(endpoint) {
		fmt.Fprintf(stderr, "warning: %s is plain http to another machine: the token crosses the network unencrypted\n", endpoint)
	}
	svcs.Services[name] = pinService{Endpoint: endpoint, TokenFile: abs}
	if err := svcs.save(bf.repo); err != nil {
		return err
	}
	if bf.json {
		return printJSON(stdout, map[string]any{"service": name, "endpoint": endpoint, "token_file": abs})
	}
	fmt.Fprintf(stdout, "added service %s %s\n", name, endpoint)
	return nil
}

func loopbackURL(u string) bool {
	host := strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
	host, _, _ = strings.Cut(host, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	a, err := netip.ParseAddr(host)
	return host == "localhost" || err == nil && a.IsLoopback()
}

func pinServiceLs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, bf := newFlagSet("pin remote service ls", "[--stat]", "List the remote pinning services of the repo: name, URL, token file.", stderr)
	stat := fs.Bool("stat", false, "also ask each service how many requests it holds in each status (queued/pinning/pinned/failed), which checks the URL and the token")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	svcs, err := loadPinServices(bf.repo)
	if err != nil {
		return err
	}
	var out []map[string]any
	for _, name := range slices.Sorted(mapKeys(svcs.Services)) {
		s := svcs.Services[name]
		row := map[string]any{"service": name, "endpoint": s.Endpoint, "token_file": s.TokenFile}
		line := fmt.Sprintf("%s\t%s\ttoken file %s", name, s.Endpoint, s.TokenFile)
		if *stat {
			counts, err := serviceCounts(ctx, svcs, bf.repo, name)
			if err != nil {
				row["error"] = err.Error()
				line += "\tinvalid: " + err.Error()
			} else {
				row["counts"] = counts
				line += fmt.Sprintf("\t%d/%d/%d/%d", counts[pinclient.Queued], counts[pinclient.Pinning], counts[pinclient.Pinned], counts[pinclient.Failed])
			}
		}
		out = append(out, row)
		if !bf.json {
			fmt.Fprintln(stdout, line)
		}
	}
	if bf.json {
		return printJSON(stdout, map[string]any{"services": out})
	}
	return nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func serviceCounts(ctx context.Context, svcs *pinServices, repo, name string) (map[pinclient.Status]int, error) {
	c, err := svcs.client(repo, name)
	if err != nil {
		return nil, err
	}
	counts := map[pinclient.Status]int{}
	for _, st := range []pinclient.Status{pinclient.Queued, pinclient.Pinning, pinclient.Pinned, pinclient.Failed} {
		_, n, err := c.List(ctx, pinclient.FilterStatus(st), pinclient.Limit(1))
		if err != nil {
			return nil, err
		}
		counts[st] = n
	}
	return counts, nil
}

func pinServiceRm(args []string, stdout, stderr io.Writer) error {
	fs, bf := newFlagSet("pin remote service rm", "NAME", "Remove a remote pinning service from the repo's list (its requests stay on the service; the token file is left alone).", stderr)
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	svcs, err := loadPinServices(bf.repo)
	if err != nil {
		return err
	}
	if _, ok := svcs.Services[pos[0]]; !ok {
		return &sentence{msg: fmt.Sprintf("no remote pinning service %q in repo %s", pos[0], bf.repo), err: os.ErrNotExist}
	}
	delete(svcs.Services, pos[0])
	if err := svcs.save(bf.repo); err != nil {
		return err
	}
	if bf.json {
		return printJSON(stdout, map[string]any{"removed": pos[0]})
	}
	fmt.Fprintf(stdout, "removed service %s\n", pos[0])
	return nil
}

// serviceErr names the service in a client error and, for a refused
// token, says where the token comes from.
func serviceErr(svcs *pinServices, name string, err error) error {
	if errors.Is(err, pinclient.ErrUnauthorized) {
		return fmt.Errorf("service %s refused the token of %s: %w", name, svcs.Services[name].TokenFile, err)
	}
	return fmt.Errorf("service %s: %w", name, err)
}

func pinRemoteAdd(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs, bf := newFlagSet("pin remote add", "CID --service NAME [--name N] [--background] [--origin MULTIADDR]...",
		"Ask a remote pinning service to fetch and pin a dataset, sending this node's addresses as origins so that it fetches from here, and wait until the service reports it pinned (or failed). The node is a `gohamt serve --api` running on the repo, the Kubo of --kubo-rpc, or the repo itself, kept online while the command waits.", stderr)
	svcName := fs.String("service", "", "the remote pinning service (see `pin remote service ls`; required)")
	name := fs.String("name", "", "a name for the pin on the service")
	background := fs.Bool("background", false, "return once the service has queued the request (do not wait until pinned)")
	var extra multiFlag
	fs.Var(&extra, "origin", "another address the service may fetch from (full multiaddr with /p2p/; repeatable)")
	fs.Var(&bf.listen, "listen", "multiaddr the node listens on while it waits, when the command runs the repo's node itself (repeatable)")
	interval := fs.Duration("poll", time.Second, "how often to ask the service for the request's status")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	root, err := parseRootRef(pos[0])
	if err != nil {
		return err
	}
	if len(*name) > pinclient.MaxNameLen {
		return fmt.Errorf("%w: --name is %d characters (at most %d)", errUsage, len(*name), pinclient.MaxNameLen)
	}
	var origins []ma.Multiaddr
	for _, o := range extra {
		a, err := ma.NewMultiaddr(o)
		if err != nil {
			return fmt.Errorf("%w: --origin %q: %v", errUsage, o, err)
		}
		origins = append(origins, a)
	}
	svcs, err := loadPinServices(bf.repo)
	if err != nil {
		return err
	}
	c, err := svcs.client(bf.repo, *svcName)
	if err != nil {
		return err
	}
	o, err := bf.originFor(ctx, root, *background)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := o.close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if o.note != "" && !bf.json {
		fmt.Fprintln(stderr, "note: "+o.note)
	}
	origins = append(origins, o.addrs...)
	if len(origins) > pinclient.MaxOrigins {
		origins = origins[:pinclient.MaxOrigins]
	}
	st, err := c.Add(ctx, pinclient.Pin{CID: root, Name: *name, Origins: origins})
	if err != nil {
		return serviceErr(svcs, *svcName, err)
	}
	dialed := o.dialDelegates(ctx, st.Delegates)
	if !*background {
		show := newStatusLine(stderr, *svcName, root, bf.json)
		st, err = c.Wait(ctx, st.RequestID, *interval, show.update)
		show.finish()
		if err != nil && ctx.Err() != nil {
			return fmt.Errorf("stopped waiting: request %s for %s stays %s on service %s (`gohamt pin remote ls --service %s --status queued,pinning` lists it, `gohamt pin remote rm --service %s %s` removes it): %w",
				st.RequestID, root, orStatus(st.Status), *svcName, *svcName, *svcName, st.RequestID, ctx.Err())
		}
		if err != nil {
			return serviceErr(svcs, *svcName, err)
		}
	}
	if bf.json {
		return printJSON(stdout, map[string]any{"cid": root.String(), "service": *svcName, "requestid": st.RequestID, "status": st.Status, "name": *name,
			"origins": len(origins), "delegates": len(st.Delegates), "delegates_connected": dialed})
	}
	fmt.Fprintf(stdout, "%s %s on %s (request %s)\n", st.Status, root, *svcName, st.RequestID)
	return nil
}

func orStatus(s pinclient.Status) pinclient.Status {
	if s == "" {
		return pinclient.Queued
	}
	return s
}

// statusLine shows a request's status while the command waits: rewritten
// in place on a terminal, a line per change (and every 10 s) otherwise,
// nothing with --json.
type statusLine struct {
	w        io.Writer
	svc      string
	root     cid.Cid
	quiet    bool
	tty      bool
	start    time.Time
	last     pinclient.Status
	lastTime time.Time
}

func newStatusLine(w io.Writer, svc string, root cid.Cid, quiet bool) *statusLine {
	s := &statusLine{w: w, svc: svc, root: root, quiet: quiet, start: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		s.tty = true
	}
	return s
}

func (s *statusLine) update(st pinclient.PinStatus) {
	if s.quiet {
		return
	}
	line := fmt.Sprintf("pin remote: %s on %s: %s (%s)", s.root, s.svc, st.Status, time.Since(s.start).Round(time.Second))
	if d := st.Info["dag_size"]; d != "" && st.Status == pinclient.Pinned {
		line += ", " + d + " bytes"
	}
	switch {
	case s.tty:
		fmt.Fprint(s.w, "\r"+line+"\033[K")
	case st.Status != s.last || time.Since(s.lastTime) >= 10*time.Second:
		fmt.Fprintln(s.w, line)
		s.lastTime = time.Now()
	}
	s.last = st.Status
}

func (s *statusLine) finish() {
	if s.tty && !s.quiet && s.last != "" {
		fmt.Fprintln(s.w)
	}
}

// listFlags are ls's and rm's filters.
type listFlags struct {
	service, status, cids, name *string
}

func addListFlags(fs interface {
	String(name, value, usage string) *string
}, verb string) listFlags {
	return listFlags{
		service: fs.String("service", "", "the remote pinning service (required)"),
		status:  fs.String("status", "pinned", verb+" the requests in these statuses (comma list of queued, pinning, pinned, failed)"),
		cids:    fs.String("cid", "", verb+" the requests for these CIDs (comma list, at most 10)"),
		name:    fs.String("name", "", verb+" the requests whose pin has this exact name"),
	}
}

func (l listFlags) options() ([]pinclient.ListOption, error) {
	var opts []pinclient.ListOption
	var sts []pinclient.Status
	for _, s := range strings.Split(*l.status, ",") {
		st, err := pinclient.ParseStatus(s)
		if err != nil {
			return nil, fmt.Errorf("%w: --status: %v", errUsage, err)
		}
		sts = append(sts, st)
	}
	opts = append(opts, pinclient.FilterStatus(sts...))
	if *l.cids != "" {
		var ids []cid.Cid
		for _, s := range strings.Split(*l.cids, ",") {
			id, err := parseCID(strings.TrimSpace(s))
			if err != nil {
				return nil, fmt.Errorf("%w: --cid: %w", errUsage, err)
			}
			ids = append(ids, id)
		}
		if len(ids) > pinclient.MaxCIDs {
			return nil, fmt.Errorf("%w: --cid lists %d CIDs (at most %d)", errUsage, len(ids), pinclient.MaxCIDs)
		}
		opts = append(opts, pinclient.FilterCID(ids...))
	}
	if *l.name != "" {
		if len(*l.name) > pinclient.MaxNameLen {
			return nil, fmt.Errorf("%w: --name is %d characters (at most %d)", errUsage, len(*l.name), pinclient.MaxNameLen)
		}
		opts = append(opts, pinclient.FilterName(*l.name))
	}
	return append(opts, pinclient.Limit(100)), nil
}

func pinRemoteLs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, bf := newFlagSet("pin remote ls", "--service NAME [--status S,S] [--cid C,C] [--name N]", "List the requests on a remote pinning service, newest first: CID, status, request ID, name. Without --status, pinned ones only (as the spec and Kubo).", stderr)
	lf := addListFlags(fs, "list")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	opts, err := lf.options()
	if err != nil {
		return err
	}
	svcs, err := loadPinServices(bf.repo)
	if err != nil {
		return err
	}
	c, err := svcs.client(bf.repo, *lf.service)
	if err != nil {
		return err
	}
	all, err := c.ListAll(ctx, opts...)
	if err != nil {
		return serviceErr(svcs, *lf.service, err)
	}
	if bf.json {
		rows := make([]map[string]any, 0, len(all))
		for _, st := range all {
			rows = append(rows, map[string]any{"cid": st.Pin.CID.String(), "status": st.Status, "requestid": st.RequestID, "name": st.Pin.Name, "created": st.Created, "info": st.Info})
		}
		return printJSON(stdout, map[string]any{"service": *lf.service, "pins": rows})
	}
	for _, st := range all {
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", st.Pin.CID, st.Status, st.RequestID, st.Pin.Name)
	}
	return nil
}

func pinRemoteRm(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, bf := newFlagSet("pin remote rm", "--service NAME (REQUESTID... | --cid C,C [--status S,S] [--name N] [--force])", "Remove requests from a remote pinning service (the service unpins what they pinned): those named by request ID, or those the filters match (as `pin remote ls`; more than one needs --force).", stderr)
	lf := addListFlags(fs, "remove")
	force := fs.Bool("force", false, "remove every request the filters match, even more than one")
	pos, err := parse(fs, args, 0, -1)
	if err != nil {
		return err
	}
	filtered := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "cid" || f.Name == "name" || f.Name == "status" {
			filtered = true
		}
	})
	if len(pos) > 0 && filtered {
		return fmt.Errorf("%w: pin remote rm takes request IDs or filters, not both", errUsage)
	}
	if len(pos) == 0 && !filtered {
		return fmt.Errorf("%w: pin remote rm needs request IDs or a filter (--cid, --name, --status)", errUsage)
	}
	svcs, err := loadPinServices(bf.repo)
	if err != nil {
		return err
	}
	c, err := svcs.client(bf.repo, *lf.service)
	if err != nil {
		return err
	}
	type target struct {
		id  string
		cid string
	}
	var todo []target
	for _, id := range pos {
		todo = append(todo, target{id: id})
	}
	if filtered {
		opts, err := lf.options()
		if err != nil {
			return err
		}
		all, err := c.ListAll(ctx, opts...)
		if err != nil {
			return serviceErr(svcs, *lf.service, err)
		}
		if len(all) > 1 && !*force {
			return fmt.Errorf("%d requests on service %s match: add --force to remove them all", len(all), *lf.service)
		}
		for _, st := range all {
			todo = append(todo, target{id: st.RequestID, cid: st.Pin.CID.String()})
		}
	}
	var removed []string
	for _, t := range todo {
		if err := c.Remove(ctx, t.id); err != nil {
			return serviceErr(svcs, *lf.service, err)
		}
		removed = append(removed, t.id)
		if !bf.json {
			if t.cid != "" {
				fmt.Fprintf(stdout, "removed request %s (%s) from %s\n", t.id, t.cid, *lf.service)
			} else {
				fmt.Fprintf(stdout, "removed request %s from %s\n", t.id, *lf.service)
			}
		}
	}
	if bf.json {
		return printJSON(stdout, map[string]any{"service": *lf.service, "removed": removed})
	}
	return nil
}
