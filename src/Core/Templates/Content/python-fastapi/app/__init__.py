from fastapi import FastAPI

NAME = "{{projectName}}"

app = FastAPI(title=NAME)


def greeting(who: str) -> str:
    return f"Hello, {who}!"


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/")
def root() -> dict:
    return {"name": NAME, "message": greeting("world")}
