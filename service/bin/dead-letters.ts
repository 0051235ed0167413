/**
 * `pnpm dead-letters <command>`: the dead letters of a running service, through its HTTP API.
 *
 *   list                 every dead letter: id, ticket, revision, reason, details
 *   show <id>            one dead letter with its original event
 *   replay <id>          put the event back in the inbox and remove the dead letter
 *   delete <id>          remove the dead letter
 *   --url <url>          the service (default $WORKBRIDGE_URL or http://127.0.0.1:$PORT, PORT default 8080)
 *   --json               print raw JSON
 *
 * When the service has WORKBRIDGE_ADMIN_TOKEN set, run this with the same variable: it is sent as
 * `Authorization: Bearer <token>`.
 */
const USAGE =
  "usage: pnpm dead-letters list | show <id> | replay <id> | delete <id> [--url http://127.0.0.1:8080] [--json]\n" +
  "  the service's URL defaults to $WORKBRIDGE_URL, else http://127.0.0.1:$PORT; WORKBRIDGE_ADMIN_TOKEN is sent as a bearer token when set\n"
const args = process.argv.slice(2)
if (args.includes("--help") || args.includes("-h")) {
  process.stdout.write(USAGE)
  process.exit(0)
}
const adminToken = process.env["WORKBRIDGE_ADMIN_TOKEN"]?.trim()
let url = process.env["WORKBRIDGE_URL"] ?? `http://127.0.0.1:${process.env["PORT"] ?? "8080"}`
let json = false
const rest: Array<string> = []
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--url") url = args[++i] ?? ""
  else if (args[i] === "--json") json = true
  else rest.push(args[i]!)
}
url = url.replace(/\/+$/, "")

const fail = (message: string, code = 2): never => {
  process.stderr.write(`dead-letters: ${message}\n${USAGE}`)
  process.exit(code)
}

interface DeadLetter {
  id: string
  source: string
  ticketId: string
  revision: string
  reason: string
  details: Array<string>
  createdAt: string
  event: unknown
}

const call = async (method: string, path: string): Promise<{ status: number; body: unknown }> => {
  let res: Response
  try {
    res = await fetch(`${url}${path}`, {
      method,
      ...(adminToken !== undefined && adminToken !== "" ? { headers: { authorization: `Bearer ${adminToken}` } } : {})
    })
  } catch (e) {
    return fail(`cannot reach ${url}: ${e instanceof Error ? e.message : String(e)}`, 1)
  }
  const text = await res.text()
  let body: unknown = text
  try {
    body = text === "" ? undefined : JSON.parse(text)
  } catch {
    /* plain text */
  }
  if (res.status >= 400) {
    const message =
      typeof body === "object" && body !== null && "message" in body
        ? String((body as { message: unknown }).message)
        : text
    return fail(`${method} ${path} → ${res.status}: ${message}`, 1)
  }
  return { status: res.status, body }
}

const [command, id] = rest
const needId = () =>
  id !== undefined && id !== "" ? encodeURIComponent(id) : fail(`${command} needs a dead-letter id`)

switch (command) {
  case "list": {
    const { body } = await call("GET", "/dead-letters")
    const { deadLetters, total } = body as { deadLetters: Array<DeadLetter>; total: number }
    if (json) process.stdout.write(`${JSON.stringify(body, null, 2)}\n`)
    else {
      for (const d of deadLetters) {
        process.stdout.write(
          `${d.id}\t${d.source}/${d.ticketId}\t${d.revision}\t${d.reason}\t${d.createdAt}\n  ${d.details.join("\n  ")}\n`
        )
      }
      process.stdout.write(`${total} dead letter(s)\n`)
    }
    break
  }
  case "show": {
    const { body } = await call("GET", "/dead-letters")
    const d = (body as { deadLetters: Array<DeadLetter> }).deadLetters.find((x) => x.id === id)
    if (d === undefined) fail(`no dead letter with id "${id ?? ""}"`, 1)
    process.stdout.write(`${JSON.stringify(d, null, 2)}\n`)
    break
  }
  case "replay": {
    const { body } = await call("POST", `/dead-letters/${needId()}/replay`)
    process.stdout.write(json ? `${JSON.stringify(body)}\n` : `dead letter ${id} requeued\n`)
    break
  }
  case "delete": {
    await call("DELETE", `/dead-letters/${needId()}`)
    process.stdout.write(`dead letter ${id} deleted\n`)
    break
  }
  default:
    fail(command === undefined ? "which command?" : `unknown command "${command}"`)
}
