package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// buildInfo is what the binary knows of itself: the module version that
// `go install …@vX` records ("(devel)" for a build from a checkout), the
// Go version, and the VCS commit when the build stamped one.
type buildInfo struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Go       string `json:"go"`
	Commit   string `json:"commit,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Agent    string `json:"agent"`
}

func readBuildInfo() buildInfo {
	bi := buildInfo{Module: "github.com/gohamt/gohamt", Version: "(unknown)", Go: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if ok {
		if info.Main.Path != "" {
			bi.Module = info.Main.Path
		}
		if info.Main.Version != "" {
			bi.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				bi.Commit = s.Value
			case "vcs.modified":
				bi.Modified = s.Value == "true"
			}
		}
	}
	bi.Agent = agentVersion(bi)
	return bi
}

// agentVersion is the agent the embedded node announces to peers: go-libp2p's
// identify default, which it derives from the same build info (module@version,
// or module@commit for a development build).
func agentVersion(bi buildInfo) string {
	if bi.Version != "(devel)" {
		return bi.Module + "@" + bi.Version
	}
	c := bi.Commit
	if len(c) > 9 {
		c = c[:9]
	}
	s := bi.Module + "@" + c
	if bi.Modified {
		s += "-dirty"
	}
	return s
}

// runVersion prints the tool's version (`gohamt version`, `gohamt --version`).
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs, bf := newFlagSet("version", "", "Print the tool's module version, Go version and commit (when the build recorded one).\n\nExample: gohamt version --json", stderr)
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	bi := readBuildInfo()
	if bf.json {
		return printJSON(stdout, bi)
	}
	fmt.Fprintf(stdout, "gohamt %s\n", bi.Version)
	fmt.Fprintf(stdout, "module %s\n", bi.Module)
	fmt.Fprintf(stdout, "go %s\n", bi.Go)
	if bi.Commit != "" {
		dirty := ""
		if bi.Modified {
			dirty = " (modified)"
		}
		fmt.Fprintf(stdout, "commit %s%s\n", bi.Commit, dirty)
	}
	return nil
}

// versionFlag makes `gohamt --version` (and -version, -v is not taken) the
// version command, wherever it stands before the command name.
func versionFlag(args []string) []string {
	for i, a := range args {
		if a == "--version" || a == "-version" {
			return append(append([]string{"version"}, args[:i]...), args[i+1:]...)
		}
		if !strings.HasPrefix(a, "-") {
			break
		}
	}
	return args
}
