-- wrk script: POST client credentials to the token endpoint.
-- CLIENT_ID and CLIENT_SECRET come from the environment.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"client_id":"%s","client_secret":"%s"}', os.getenv("CLIENT_ID"), os.getenv("CLIENT_SECRET"))
