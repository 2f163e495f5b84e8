package s3_test

import (
	"testing"

	"github.com/dagdeck/dagdeck/s3"
)

func TestConfigFromURL(t *testing.T) {
	for _, tt := range []struct {
		name string
		url  string
		env  map[string]string
		want s3.Config
	}{
		{
			name: "AWS",
			url:  "s3://my-bucket/dagdeck/artifacts/",
			env:  map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"},
			want: s3.Config{Bucket: "my-bucket", Prefix: "dagdeck/artifacts", Region: "eu-west-1", AccessKey: "AK", SecretKey: "SK", UseSSL: true},
		},
		{
			name: "Endpoint",
			url:  "s3://b?endpoint=localhost:9000&region=us-east-1&insecure=true",
			want: s3.Config{Bucket: "b", Endpoint: "localhost:9000", Region: "us-east-1"},
		},
		{
			name: "EndpointURL",
			url:  "s3://b/p?endpoint=http://minio:9000",
			want: s3.Config{Bucket: "b", Prefix: "p", Endpoint: "minio:9000"},
		},
		{
			name: "EndpointFromEnv",
			url:  "s3://b",
			env:  map[string]string{"AWS_ENDPOINT_URL": "https://s3.example.com", "AWS_DEFAULT_REGION": "r1"},
			want: s3.Config{Bucket: "b", Endpoint: "s3.example.com", Region: "r1", UseSSL: true},
		},
		{
			name: "URLOverridesEnv",
			url:  "s3://b?endpoint=local:1&region=r2",
			env:  map[string]string{"AWS_ENDPOINT_URL": "https://s3.example.com", "AWS_REGION": "r1"},
			want: s3.Config{Bucket: "b", Endpoint: "local:1", Region: "r2", UseSSL: true},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			got, err := s3.ConfigFromURL(tt.url)
			if err != nil {
				t.Fatalf("ConfigFromURL(%q): %v", tt.url, err)
			}
			if got != tt.want {
				t.Fatalf("ConfigFromURL(%q)\n got %+v\nwant %+v", tt.url, got, tt.want)
			}
		})
	}
}

func TestConfigFromURL_Err(t *testing.T) {
	for name, u := range map[string]string{
		"Scheme":         "file:///tmp/x",
		"NoBucket":       "s3:///prefix",
		"Credentials":    "s3://AK:SK@bucket/prefix",
		"UnknownParam":   "s3://b?endpont=x",
		"Insecure":       "s3://b?insecure=maybe",
		"EndpointScheme": "s3://b?endpoint=ftp://x",
		"EndpointPath":   "s3://b?endpoint=http://x/path",
		"Unparseable":    "s3://b/%zz",
	} {
		t.Run(name, func(t *testing.T) {
			clearEnv(t)
			if c, err := s3.ConfigFromURL(u); err == nil {
				t.Fatalf("ConfigFromURL(%q) = %+v; want an error", u, c)
			}
		})
	}
}

// clearEnv unsets the AWS variables ConfigFromURL reads for the test.
func clearEnv(t *testing.T) {
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		t.Setenv(k, "")
	}
}
