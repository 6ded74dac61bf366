package localdb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// needRoot skips a test that needs root, except in CI (which runs as root),
// where it fails.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("this test needs root (CI runs the suite as root)")
	}
	t.Skip("needs root: the postgres OS user runs the server only for root")
}

// privateCheckout returns a checkout directory under a 0700 parent.
func privateCheckout(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	checkout := filepath.Join(home, "securemig")
	if err := os.Mkdir(checkout, 0o755); err != nil {
		t.Fatal(err)
	}
	return checkout
}

func TestPlaceKeepsAReachableDefault(t *testing.T) {
	checkout, err := os.MkdirTemp("", "smplace") // t.TempDir's parent is 0700
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(checkout) })
	if err := os.Chmod(checkout, 0o755); err != nil {
		t.Fatal(err)
	}
	def := filepath.Join(checkout, "tmp", "pg")
	p, err := Place(checkout, def, filepath.Join(checkout, "tmp", "pg.location"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Moved() || p.Dir != def || p.Reason != "" {
		t.Fatalf("Place = %+v, want the default %s", p, def)
	}
}

// TestPlaceMovesTheClusterOutOfAPrivateHome runs the server of a checkout
// under a 0700 directory: the cluster goes to a private directory outside,
// owned by postgres, recorded in the checkout, found again later and
// removed with its record.
func TestPlaceMovesTheClusterOutOfAPrivateHome(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	checkout := privateCheckout(t)
	def := filepath.Join(checkout, "tmp", "pg")
	record := filepath.Join(checkout, "tmp", "pg.location")
	p, err := Place(checkout, def, record)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Moved() || !strings.HasPrefix(p.Dir, PrivateBase+"/securemig-") {
		t.Fatalf("Place = %+v, want a directory under %s", p, PrivateBase)
	}
	if !strings.Contains(p.Reason, filepath.Dir(checkout)+" has mode 0700") {
		t.Fatalf("reason %q does not name the private directory", p.Reason)
	}
	c, err := New(p.Dir, os.Getenv("SECUREMIG_PG_BIN"))
	if err != nil {
		t.Fatalf("local cluster unavailable: %v", err)
	}
	c.Record = record
	t.Cleanup(func() { c.Destroy(context.Background()) })
	if _, err := c.Start(ctx); err != nil {
		t.Fatalf("Start in %s: %v", p.Dir, err)
	}
	if got := query(t, c, "SELECT 'up'"); got != "up" {
		t.Fatal("server not reachable")
	}
	fi, err := os.Lstat(p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := lookupServerUser()
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != srv.uid || fi.Mode().Perm() != 0o700 {
		t.Fatalf("%s: owner %d mode %04o, want postgres (%d) and 0700", p.Dir, st.Uid, fi.Mode().Perm(), srv.uid)
	}
	again, err := Place(checkout, def, record)
	if err != nil || !again.Recorded || again.Dir != p.Dir {
		t.Fatalf("second Place = %+v, %v; want the recorded %s", again, err, p.Dir)
	}
	if _, err := os.Stat(def); err == nil {
		t.Fatalf("%s was created although the cluster lives elsewhere", def)
	}
	if err := c.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{p.Dir, record} {
		if _, err := os.Lstat(gone); !os.IsNotExist(err) {
			t.Fatalf("%s left behind after Destroy (%v)", gone, err)
		}
	}
}

// TestPlaceDiffersPerCheckout: two checkouts never share a cluster.
func TestPlaceDiffersPerCheckout(t *testing.T) {
	needRoot(t)
	a, b := privateCheckout(t), privateCheckout(t)
	pa, err := Place(a, filepath.Join(a, "tmp", "pg"), "")
	if err != nil {
		t.Fatal(err)
	}
	pb, err := Place(b, filepath.Join(b, "tmp", "pg"), "")
	if err != nil {
		t.Fatal(err)
	}
	if pa.Dir == pb.Dir {
		t.Fatalf("two checkouts share %s", pa.Dir)
	}
}

// TestPrivateDirRefusesPreparedPaths: a symlink or a directory someone else
// owns in a world-writable place is never used (nor chowned through).
func TestPrivateDirRefusesPreparedPaths(t *testing.T) {
	base := t.TempDir()
	target := filepath.Join(base, "victim")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := ensurePrivateDir(link); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("ensurePrivateDir(symlink) = %v, want a refusal", err)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o755 {
		t.Fatalf("the symlink's target was changed to %04o", fi.Mode().Perm())
	}
	if os.Geteuid() == 0 {
		foreign := filepath.Join(base, "foreign")
		if err := os.Mkdir(foreign, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(foreign, 54321, 54321); err != nil {
			t.Fatal(err)
		}
		if err := ensurePrivateDir(foreign); err == nil || !strings.Contains(err.Error(), "belongs to uid 54321") {
			t.Fatalf("ensurePrivateDir(foreign-owned) = %v, want a refusal", err)
		}
	}
	own := filepath.Join(base, "own")
	if err := ensurePrivateDir(own); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(own); fi.Mode().Perm() != 0o700 {
		t.Fatalf("new private directory has mode %04o, want 0700", fi.Mode().Perm())
	}
}
