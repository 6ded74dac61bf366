package actor

import (
	"os"
	"strings"
	"testing"
)

func TestCurrent(t *testing.T) {
	t.Setenv(EnvVar, "")
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	if got := Current(); !strings.HasSuffix(got, "@"+host) || strings.HasPrefix(got, "@") {
		t.Errorf("Current() = %q, want user@%s", got, host)
	}
	t.Setenv(EnvVar, " task:nightly@runner ")
	if got := Current(); got != "task:nightly@runner" {
		t.Errorf("with %s set: %q", EnvVar, got)
	}
}
