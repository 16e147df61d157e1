package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/deploylens/deploylens/store"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url      string
		protocol clickhouse.Protocol
		addr     string
		user     string
		password string
		database string
		tls      bool
	}{
		{"clickhouse://alice:s3cret@ch1:9000/deploy", clickhouse.Native, "ch1:9000", "alice", "s3cret", "deploy", false},
		{"clickhouse://ch1:9440/deploy?secure=true", clickhouse.Native, "ch1:9440", "", "", "deploy", true},
		{"http://bob:pw@ch2:8123/metrics", clickhouse.HTTP, "ch2:8123", "bob", "pw", "metrics", false},
		{"https://ch3:8443/db", clickhouse.HTTP, "ch3:8443", "", "", "db", true},
		{"http://127.0.0.1:41234", clickhouse.HTTP, "127.0.0.1:41234", "", "", "", false},
	} {
		t.Run(tc.url, func(t *testing.T) {
			o, err := store.ParseURL(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if o.Protocol != tc.protocol || len(o.Addr) != 1 || o.Addr[0] != tc.addr {
				t.Errorf("protocol %v addr %v", o.Protocol, o.Addr)
			}
			if o.Auth.Username != tc.user && !(tc.user == "" && o.Auth.Username == "default") {
				t.Errorf("user %q", o.Auth.Username)
			}
			if o.Auth.Password != tc.password || o.Auth.Database != tc.database {
				t.Errorf("password %q database %q", o.Auth.Password, o.Auth.Database)
			}
			if (o.TLS != nil) != tc.tls {
				t.Errorf("TLS = %v, want %v", o.TLS != nil, tc.tls)
			}
			if o.DialTimeout != 10*time.Second && !strings.Contains(tc.url, "dial_timeout") {
				t.Errorf("dial timeout %v", o.DialTimeout)
			}
		})
	}
	for _, bad := range []string{"", "ch1:9000", "ftp://ch1/db", "postgres://x:5432/db"} {
		if _, err := store.ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) accepted a bad URL", bad)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  store.Config
		want string
	}{
		{store.Config{}, "--data-dir is empty"},
		{store.Config{DataDir: "d", Cluster: "c"}, "--clickhouse-cluster needs --clickhouse-url"},
		{store.Config{URL: "mysql://x/y"}, "scheme \"mysql\" is not supported"},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if err := (store.Config{DataDir: "d"}).Validate(); err != nil {
		t.Errorf("embedded config: %v", err)
	}
	if err := (store.Config{URL: "http://h:8123", Cluster: "c"}).Validate(); err != nil {
		t.Errorf("cluster config: %v", err)
	}
}
