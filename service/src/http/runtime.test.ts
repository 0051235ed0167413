/** The edge runner: effects run on the runtime it was given; typed failures reject with the error itself. */
import { Cause, Context, Data, Effect, Exit, Layer, Logger, ManagedRuntime, Runtime } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { makeEdgeRunner } from "./runtime.js"

class Refused extends Data.TaggedError("Refused")<{ readonly why: string }> {}

const lines: Array<string> = []
const capturing = Logger.replace(
  Logger.defaultLogger,
  Logger.make(({ message }) => lines.push(String(message)))
)
const managed = ManagedRuntime.make(capturing)
afterAll(() => managed.dispose())

describe("makeEdgeRunner", () => {
  it("runs effects on the given ManagedRuntime (its logger, not the default one)", async () => {
    lines.length = 0
    const runner = makeEdgeRunner(managed)
    await expect(runner.run(Effect.log("on the app runtime").pipe(Effect.as(7)))).resolves.toBe(7)
    expect(lines).toEqual(["on the app runtime"])
  })

  it("runs effects on a plain Runtime", async () => {
    lines.length = 0
    const runtime = await managed.runtime()
    await expect(makeEdgeRunner(runtime).run(Effect.log("on a Runtime").pipe(Effect.as("done")))).resolves.toBe("done")
    expect(lines).toEqual(["on a Runtime"])
  })

  it("rejects with the typed error itself, so the error mapping sees its _tag", async () => {
    const runner = makeEdgeRunner(managed)
    const error = await runner
      .run(Effect.suspend(() => Effect.fail(new Refused({ why: "no" }))))
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Refused)
    expect((error as Refused)._tag).toBe("Refused")
  })

  it("rejects with the FiberFailure of a defect", async () => {
    const error = await makeEdgeRunner(managed)
      .run(Effect.suspend(() => Effect.die(new Error("boom"))))
      .catch((e: unknown) => e)
    expect(Runtime.isFiberFailure(error)).toBe(true)
    expect(Cause.isDieType((error as Runtime.FiberFailure)[Runtime.FiberFailureCauseId])).toBe(true)
  })

  it("settles an effect that is already an Exit without entering the runtime", async () => {
    // A runtime whose layer cannot be built: anything that needs it fails with the layer's error.
    class Unbuildable extends Context.Tag("Unbuildable")<Unbuildable, number>() {}
    const broken = ManagedRuntime.make(Layer.effect(Unbuildable, Effect.fail(new Refused({ why: "layer" }))))
    const runner = makeEdgeRunner(broken)
    await expect(runner.run(Effect.succeed(1))).resolves.toBe(1)
    await expect(runner.run(Exit.fail(new Refused({ why: "exit" })))).rejects.toMatchObject({
      _tag: "Refused",
      why: "exit"
    })
    await expect(runner.run(Effect.sync(() => 2))).rejects.toMatchObject({ _tag: "Refused", why: "layer" })
    await broken.dispose()
  })

  it("defaults to Effect's default runtime", async () => {
    await expect(makeEdgeRunner().run(Effect.sync(() => 3))).resolves.toBe(3)
  })
})
