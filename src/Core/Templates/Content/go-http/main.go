package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
)

const name = "{{projectName}}"

func greeting(who string) string { return "Hello, " + who + "!" }

func routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"name": name, "message": greeting("world")})
	})
	return mux
}

func main() {
	host, port := os.Getenv("HOST"), os.Getenv("PORT")
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "8080"
	}
	log.Printf("%s listening on %s:%s", name, host, port)
	log.Fatal(http.ListenAndServe(host+":"+port, routes()))
}
