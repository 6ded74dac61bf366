package main

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// flagAliases are the other spellings every command accepts for a flag of
// that name: one spelling per concept across the whole CLI, whichever
// command defines the flag (normalizeCommands adds them).
var flagAliases = map[string][]string{
	"contract-code": {"c"},
	"file":          {"f", "filename"}, // --filename: the previous tool's name
	"lock-file":     {"lock"},
	"out":           {"o"},
	"quiet":         {"q"},
}

// canonicalFlagNames renames flags spelled differently from the rest of the
// CLI; the old name stays as an alias (see flagAliases).
var canonicalFlagNames = map[string]string{
	"lock": "lock-file",
}

// normalizeCommands applies the CLI-wide conventions to every command of the
// tree, including commands added later by other files:
//   - canonical flag names and their aliases (flagAliases);
//   - a missing required flag is one line naming the flag and the command's
//     --help, not the whole help page; so is any other usage error;
//   - the running command's name is recorded for error messages.
func normalizeCommands(cmds []*cli.Command, parent string) {
	for _, cmd := range cmds {
		full := strings.TrimSpace(parent + " " + cmd.Name)
		var required []cli.Flag
		for _, f := range cmd.Flags {
			if normalizeFlag(cmd, f) {
				required = append(required, f)
			}
		}
		cmd.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			return withExitCode(1, fmt.Errorf("%v; see `securemig %s --help`", err, full))
		}
		if cmd.Action != nil {
			cmd.Action = checkedAction(full, required, cmd.Action)
		}
		normalizeCommands(cmd.Subcommands, full)
	}
}

// normalizeFlag renames f and adds its aliases. It turns off urfave's own
// required-flag check (which prints the whole help page) and reports
// whether f was required.
func normalizeFlag(cmd *cli.Command, f cli.Flag) bool {
	v := reflect.ValueOf(f)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return false
	}
	s := v.Elem()
	name, aliases, req := s.FieldByName("Name"), s.FieldByName("Aliases"), s.FieldByName("Required")
	if !name.IsValid() || !aliases.IsValid() || name.Kind() != reflect.String {
		return false
	}
	if to, ok := canonicalFlagNames[name.String()]; ok && !flagDefined(cmd, to) {
		aliases.Set(reflect.ValueOf(append(aliases.Interface().([]string), name.String())))
		name.SetString(to)
	}
	for _, a := range flagAliases[name.String()] {
		if !flagDefined(cmd, a) {
			aliases.Set(reflect.ValueOf(append(aliases.Interface().([]string), a)))
		}
	}
	if req.IsValid() && req.Kind() == reflect.Bool && req.Bool() {
		req.SetBool(false)
		return true
	}
	return false
}

// flagDefined reports whether some flag of cmd already answers to name.
func flagDefined(cmd *cli.Command, name string) bool {
	for _, f := range cmd.Flags {
		if slices.Contains(f.Names(), name) {
			return true
		}
	}
	return false
}

// checkedAction wraps a command's action: it records the command's name and
// refuses, in one line, when a required flag is missing.
func checkedAction(full string, required []cli.Flag, action cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		state(c.App).command = full
		for _, f := range required {
			if !c.IsSet(f.Names()[0]) {
				what := ""
				if u, ok := f.(cli.DocGenerationFlag); ok {
					what = " (" + strings.ReplaceAll(u.GetUsage(), "`", "") + ")"
				}
				return withExitCode(1, fmt.Errorf("missing --%s%s; see `securemig %s --help`", f.Names()[0], what, full))
			}
		}
		return action(c)
	}
}

// usageError is a one-line usage mistake of the running command, pointing
// at its --help.
func usageError(c *cli.Context, format string, a ...any) error {
	full := state(c.App).command
	if full == "" {
		full = c.Command.FullName()
	}
	return withExitCode(1, fmt.Errorf("%s; see `securemig %s --help`", fmt.Sprintf(format, a...), full))
}

// reorderArgs moves flags given after positional arguments in front of them,
// so that `securemig upload FILE --dry-run` means `securemig upload
// --dry-run FILE`, for every command. The command path is the leading words
// that name (sub)commands; arguments after "--" stay positional and in
// place.
func reorderArgs(cmds []*cli.Command, args []string) []string {
	if len(args) < 2 {
		return args
	}
	var leaf *cli.Command
	i := 1
	for ; i < len(args); i++ {
		next := findCommand(cmds, args[i])
		if next == nil {
			break
		}
		leaf, cmds = next, next.Subcommands
	}
	if leaf == nil {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range leaf.Flags {
		tv, ok := f.(interface{ TakesValue() bool })
		for _, n := range f.Names() {
			takesValue[n] = ok && tv.TakesValue()
		}
	}
	var flags, positional, tail []string
	rest := args[i:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		switch {
		case a == "--":
			positional = append(positional, rest[j:]...)
			j = len(rest)
		case a == "--generate-bash-completion":
			tail = append(tail, a)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && takesValue[name] && j+1 < len(rest) {
				flags = append(flags, rest[j+1])
				j++
			}
		default:
			positional = append(positional, a)
		}
	}
	out := append([]string{}, args[:i]...)
	out = append(out, flags...)
	out = append(out, positional...)
	return append(out, tail...)
}

// findCommand returns the command among cmds named name (or aliased).
func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}
