package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGreeting(t *testing.T) {
	if got := greeting("you"); got != "Hello, you!" {
		t.Fatalf("greeting = %q", got)
	}
}

func TestHealth(t *testing.T) {
	server := httptest.NewServer(routes())
	defer server.Close()
	response, err := http.Get(server.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatal(err)
	}
	if response.StatusCode != http.StatusOK || !strings.Contains(string(body), `"ok"`) {
		t.Fatalf("GET /health = %d %s", response.StatusCode, body)
	}
}
