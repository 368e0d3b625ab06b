package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/ostor-bridge/ostor-bridge/bridge"
)

// These tests compare the documentation with the code, so that a new setting, RPC method,
// product setting, hook or command flag cannot ship undocumented, and a documented one cannot
// silently disappear.

const (
	readmePath        = "../../README.md"
	rpcDocPath        = "../../docs/rpc.md"
	exampleConfigPath = "../../deploy/ostor-bridge.example.toml"
	serverModulePath  = "../../php-shim/modules/servers/ostorbridge/ostorbridge.php"
)

var hookFiles = []string{
	"../../php-shim/modules/servers/ostorbridge/hooks.php",
	"../../php-shim/modules/addons/ostorbridge/hooks.php",
}

func readDoc(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// configDefaults returns every setting of Config as "section.key" with its default value.
func configDefaults() map[string]reflect.Value {
	settings := make(map[string]reflect.Value)
	cfg := reflect.ValueOf(defaultConfig())
	for i := 0; i < cfg.NumField(); i++ {
		section := cfg.Type().Field(i).Tag.Get("toml")
		fields := cfg.Field(i)
		for j := 0; j < fields.NumField(); j++ {
			key := fields.Type().Field(j).Tag.Get("toml")
			settings[section+"."+key] = fields.Field(j)
		}
	}
	return settings
}

// sameAsDefault reports whether documented, the text of a default in the docs, equals the
// default value. "empty", "-" and "" document the zero value.
func sameAsDefault(documented string, value reflect.Value) bool {
	switch documented {
	case "empty", "-", "":
		return value.IsZero()
	}
	if d, ok := value.Interface().(Duration); ok {
		parsed, err := time.ParseDuration(documented)
		return err == nil && parsed == d.Duration
	}
	return fmt.Sprint(value.Interface()) == documented
}

// section returns the part of doc from the line "## title" up to the next "## " heading.
func section(t *testing.T, doc, title string) string {
	t.Helper()
	start := strings.Index(doc, "\n## "+title+"\n")
	if start < 0 {
		t.Fatalf("the document has no section %q", title)
	}
	rest := doc[start+len(title)+5:]
	if end := strings.Index(rest, "\n## "); end >= 0 {
		rest = rest[:end]
	}
	return rest
}

var configRowPattern = regexp.MustCompile("(?m)^\\| `([a-z_]+\\.[a-z_.]+)` \\| ([^|]*) \\|")

func TestReadmeConfigTableMatchesDefaults(t *testing.T) {
	table := section(t, readDoc(t, readmePath), "Configuration reference")
	defaults := configDefaults()

	documented := make(map[string]bool)
	for _, row := range configRowPattern.FindAllStringSubmatch(table, -1) {
		key := row[1]
		cell := strings.Trim(strings.Fields(row[2] + " ")[0], "`")
		documented[key] = true

		value, ok := defaults[key]
		if !ok {
			t.Errorf("README documents setting %s, which the daemon does not read", key)
			continue
		}
		if !sameAsDefault(cell, value) {
			t.Errorf("README gives %s the default %q, but the daemon's default is %q", key, cell, fmt.Sprint(value.Interface()))
		}
	}
	for key := range defaults {
		if !documented[key] {
			t.Errorf("setting %s is missing from the README's configuration reference", key)
		}
	}
}

// exampleKeyPattern matches a setting in the example config, set or commented out.
var (
	exampleKeyPattern    = regexp.MustCompile(`^#?\s*([a-z_]+)\s*=`)
	exampleHeaderPattern = regexp.MustCompile(`^#?\s*\[([a-z_.]+)\]\s*$`)
)

// exampleValues are the settings without a default that the example config fills with sample
// values an operator replaces.
var exampleValues = []string{"gateway.endpoint", "gateway.access_key_id", "gateway.public_endpoint"}

func TestExampleConfigMatchesDefaults(t *testing.T) {
	defaults := configDefaults()

	var decoded map[string]any
	md, err := toml.DecodeFile(exampleConfigPath, &decoded)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range md.Keys() {
		if len(key) != 2 {
			continue
		}
		name := key.String()
		value, ok := defaults[name]
		if !ok {
			t.Errorf("the example config sets %s, which the daemon does not read", name)
			continue
		}
		if slices.Contains(exampleValues, name) {
			continue
		}
		set := fmt.Sprint(decoded[key[0]].(map[string]any)[key[1]])
		if !sameAsDefault(set, value) {
			t.Errorf("the example config sets %s = %q, but the daemon's default is %q; write the default there", name, set, fmt.Sprint(value.Interface()))
		}
	}

	mentioned := make(map[string]bool)
	current := ""
	for line := range strings.Lines(readDoc(t, exampleConfigPath)) {
		line = strings.TrimSpace(line)
		if m := exampleHeaderPattern.FindStringSubmatch(line); m != nil {
			current = m[1]
			mentioned[current] = true
			continue
		}
		if m := exampleKeyPattern.FindStringSubmatch(line); m != nil && current != "" {
			mentioned[current+"."+m[1]] = true
		}
	}
	for key := range defaults {
		if !mentioned[key] {
			t.Errorf("setting %s is missing from the example config; add it, commented out when it has no default", key)
		}
	}
}

// rpcServices maps the RPC service names that bridge.NewHandler registers to their receivers.
var rpcServices = map[string]any{
	"Service": &bridge.ServiceAPI{},
	"Client":  &bridge.ClientAPI{},
	"System":  &bridge.SystemAPI{},
	"Usage":   &bridge.UsageAPI{},
	"Admin":   &bridge.AdminAPI{},
}

// rpcMethods returns "Service.Method" for every method gorilla/rpc exposes: exported, with a
// request, an args pointer and a reply pointer, returning an error.
func rpcMethods() []string {
	var methods []string
	for name, receiver := range rpcServices {
		t := reflect.TypeOf(receiver)
		for i := 0; i < t.NumMethod(); i++ {
			m := t.Method(i)
			if m.Type.NumIn() == 4 && m.Type.NumOut() == 1 {
				methods = append(methods, name+"."+m.Name)
			}
		}
	}
	sort.Strings(methods)
	return methods
}

var documentedMethodPattern = regexp.MustCompile("`([A-Z][a-zA-Z]*\\.[A-Z][a-zA-Z]*)`")

// documentedMethods returns the methods named in the headings of docs/rpc.md.
func documentedMethods(t *testing.T) []string {
	var methods []string
	for line := range strings.Lines(readDoc(t, rpcDocPath)) {
		if !strings.HasPrefix(line, "### ") {
			continue
		}
		for _, m := range documentedMethodPattern.FindAllStringSubmatch(line, -1) {
			methods = append(methods, m[1])
		}
	}
	return methods
}

func TestRPCDocListsEveryMethod(t *testing.T) {
	documented := documentedMethods(t)
	for _, method := range rpcMethods() {
		if !slices.Contains(documented, method) {
			t.Errorf("RPC method %s has no heading in docs/rpc.md", method)
		}
	}
}

// TestRPCDocMethodsAreServed sends each documented method to a real handler with params that
// are not an object. A served method rejects them as invalid_params before it runs; a method
// the daemon does not have is method_not_found.
func TestRPCDocMethodsAreServed(t *testing.T) {
	secret := []byte(strings.Repeat("s", 32))
	handler, err := bridge.NewHandler(bridge.ServerOptions{
		Secret:      secret,
		Provisioner: &bridge.Provisioner{},
		Panel:       &bridge.Panel{},
	})
	if err != nil {
		t.Fatal(err)
	}

	for i, method := range documentedMethods(t) {
		body := fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":%q,"params":[]}`, i+1, method)
		req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/rpc", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		timestamp, signature := bridge.SignRequest(secret, time.Now(), body)
		req.Header.Set(bridge.HeaderTimestamp, timestamp)
		req.Header.Set(bridge.HeaderSignature, signature)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)

		var reply rpcReply
		if err := json.Unmarshal(rec.Body.Bytes(), &reply); err != nil {
			t.Fatalf("%s: reply %q is not JSON: %v", method, rec.Body.String(), err)
		}
		if reply.Error == nil || reply.Error.Data.Kind != "invalid_params" {
			t.Errorf("docs/rpc.md documents %s, but the daemon replied %s", method, rec.Body.String())
		}
	}
}

var (
	configOptionPattern = regexp.MustCompile(`(?m)^\s*'[a-z_]+' => (?:\$number\('([^']+)'|\[\s*'FriendlyName' => '([^']+)')`)
	productRowPattern   = regexp.MustCompile(`(?m)^\| configoption(\d+) \| ([^|]+) \|`)
)

func TestReadmeProductSettingsMatchModule(t *testing.T) {
	var module []string
	for _, m := range configOptionPattern.FindAllStringSubmatch(readDoc(t, serverModulePath), -1) {
		module = append(module, m[1]+m[2])
	}
	if len(module) == 0 {
		t.Fatal("found no settings in ostorbridge_ConfigOptions; update configOptionPattern")
	}

	var readme []string
	for i, m := range productRowPattern.FindAllStringSubmatch(readDoc(t, readmePath), -1) {
		if m[1] != fmt.Sprint(i+1) {
			t.Errorf("README row %d of the product settings is configoption%s", i+1, m[1])
		}
		readme = append(readme, strings.TrimSpace(m[2]))
	}
	if !slices.Equal(readme, module) {
		t.Errorf("README lists the product settings\n  %q\nbut ostorbridge_ConfigOptions returns, in this order,\n  %q", readme, module)
	}
}

var hookPattern = regexp.MustCompile(`add_hook\('([A-Za-z]+)'`)

func TestReadmeNamesEveryHook(t *testing.T) {
	readme := readDoc(t, readmePath)
	found := 0
	for _, path := range hookFiles {
		for _, m := range hookPattern.FindAllStringSubmatch(readDoc(t, path), -1) {
			found++
			if !strings.Contains(readme, "`"+m[1]+"`") {
				t.Errorf("%s registers the hook %s, which the README does not name", path, m[1])
			}
		}
	}
	if found == 0 {
		t.Fatal("found no add_hook calls; update hookPattern")
	}
}

var (
	codeSpanPattern = regexp.MustCompile("`([^`\n]+)`")
	commandPattern  = regexp.MustCompile(`(?:^|[\s(])ostor-bridge ([a-z][^#]*)`)
)

// readmeCommands returns the ostor-bridge command lines in the README's code: inline code
// spans and fenced blocks.
func readmeCommands(t *testing.T) []string {
	var code []string
	inFence, shellFence := false, false
	for line := range strings.Lines(readDoc(t, readmePath)) {
		if info, ok := strings.CutPrefix(strings.TrimSpace(line), "```"); ok {
			// Only shell blocks hold commands, not diagrams, SQL or PHP.
			inFence = !inFence
			shellFence = inFence && (info == "" || info == "sh" || info == "shell")
			continue
		}
		if shellFence {
			code = append(code, line)
			continue
		}
		for _, m := range codeSpanPattern.FindAllStringSubmatch(line, -1) {
			code = append(code, m[1])
		}
	}

	var commands []string
	for _, text := range code {
		for _, m := range commandPattern.FindAllStringSubmatch(text, -1) {
			commands = append(commands, strings.TrimSpace(m[1]))
		}
	}
	return commands
}

// TestReadmeCommandsExist runs "-h" for each command line in the README and checks that the
// command exists and its help lists every flag the README passes to it.
func TestReadmeCommandsExist(t *testing.T) {
	commands := readmeCommands(t)
	if len(commands) < 5 {
		t.Fatalf("found only %d ostor-bridge commands in the README; update commandPattern", len(commands))
	}
	for _, line := range commands {
		var path, flags []string
		for _, token := range strings.Fields(strings.NewReplacer("[", " ", "]", " ", "|", " ").Replace(line)) {
			switch {
			case strings.HasPrefix(token, "--"):
				flags = append(flags, strings.SplitN(token, "=", 2)[0][1:])
			case len(flags) == 0 && regexp.MustCompile(`^[a-z]+$`).MatchString(token):
				path = append(path, token)
			}
		}
		args := path
		if !slices.Contains(path, "help") {
			args = append(slices.Clone(path), "-h")
		}

		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &stdout, &stderr, func(string) string { return "" })
		help := stdout.String() + stderr.String()
		if code != 0 {
			t.Errorf("README shows `ostor-bridge %s`, but `ostor-bridge %s` exits with %d:\n%s", line, strings.Join(args, " "), code, help)
			continue
		}
		for _, flag := range flags {
			if !strings.Contains(help, "  "+flag+" ") && !strings.Contains(help, "  "+flag+"\n") {
				t.Errorf("README passes %s to `ostor-bridge %s`, whose help does not list it:\n%s", flag, strings.Join(path, " "), help)
			}
		}
	}
}

var errorRowPattern = regexp.MustCompile("(?m)^\\| (-3\\d{4}) \\| `([a-z_]+)` \\|")

func TestRPCDocListsEveryErrorCode(t *testing.T) {
	documented := make(map[string]string)
	for _, m := range errorRowPattern.FindAllStringSubmatch(readDoc(t, rpcDocPath), -1) {
		documented[m[1]] = m[2]
	}

	// JSON-RPC 2.0 reserves -32768 to -32000; the daemon's codes are all in that range.
	served := 0
	for code := bridge.Code(-32768); code <= -32000; code++ {
		kind := code.Kind()
		if kind == "unknown" {
			continue
		}
		served++
		number := fmt.Sprint(int(code))
		if documented[number] != kind {
			t.Errorf("error code %s is %q in the daemon, but docs/rpc.md lists %q", number, kind, documented[number])
		}
	}
	if served != len(documented) {
		t.Errorf("the daemon has %d error codes, docs/rpc.md lists %d: %v", served, len(documented), documented)
	}
}

// jsonMembers returns the JSON member names of a struct type, with embedded structs flattened.
func jsonMembers(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		field := t.Field(i)
		if field.Anonymous && field.Type.Kind() == reflect.Struct {
			names = append(names, jsonMembers(field.Type)...)
			continue
		}
		if name, _, _ := strings.Cut(field.Tag.Get("json"), ","); name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// methodSections returns the text of each "### " section of docs/rpc.md by the methods its
// heading names.
func methodSections(t *testing.T) map[string]string {
	sections := make(map[string]string)
	doc := readDoc(t, rpcDocPath)
	parts := strings.Split(doc, "\n### ")
	for _, part := range parts[1:] {
		heading, _, _ := strings.Cut(part, "\n")
		for _, m := range documentedMethodPattern.FindAllStringSubmatch(heading, -1) {
			sections[m[1]] += part
		}
	}
	return sections
}

// TestRPCDocNamesEveryMember checks that each member of a method's params and result appears in
// docs/rpc.md. A method's text includes the sections it refers to ("Params as for
// `Service.Create`") and the sections that refer to it, and for the Admin methods the RPC
// section of docs/admin-panel.md.
func TestRPCDocNamesEveryMember(t *testing.T) {
	sections := methodSections(t)
	adminDoc := section(t, readDoc(t, "../../docs/admin-panel.md"), "RPC methods")

	for name, receiver := range rpcServices {
		rt := reflect.TypeOf(receiver)
		for i := 0; i < rt.NumMethod(); i++ {
			m := rt.Method(i)
			if m.Type.NumIn() != 4 {
				continue
			}
			method := name + "." + m.Name
			text := sections[method]
			for other, otherText := range sections {
				if strings.Contains(text, "`"+other+"`") || strings.Contains(otherText, "`"+method+"`") {
					text += otherText
				}
			}
			if name == "Admin" {
				text += adminDoc
			}

			params := jsonMembers(m.Type.In(2).Elem())
			result := jsonMembers(m.Type.In(3).Elem())
			for _, member := range append(params, result...) {
				if !strings.Contains(text, `"`+member+`"`) && !strings.Contains(text, "`"+member+"`") {
					t.Errorf("docs/rpc.md does not name the member %q of %s's params or result", member, method)
				}
			}
		}
	}
}
