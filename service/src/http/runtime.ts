/**
 * The edge's one place that runs effects: HTTP handlers hand their effects to an `EdgeRunner` built over the
 * application's runtime (the service's `ManagedRuntime`, or any `Runtime`), never to `Effect.runPromise`.
 *
 * A typed failure rejects with the error itself (so the edge's error mapping sees its `_tag`); a defect or an
 * interruption rejects with the `FiberFailure` of its cause. An effect that is already an `Exit` (`Effect.succeed`,
 * `Effect.fail`, `Effect.void`: what a port answers when it has nothing to do) settles without starting a fiber.
 */
import { Cause, type Effect, Exit, ManagedRuntime, Option, Runtime } from "effect"

/** What the edge runs its effects on: the application's runtime, or (by default) Effect's default runtime. */
export type EdgeRuntime = Runtime.Runtime<never> | ManagedRuntime.ManagedRuntime<never, unknown>

export interface EdgeRunner {
  /** Run `effect` on the runtime; the promise rejects with the typed error on failure. */
  readonly run: <A, E>(effect: Effect.Effect<A, E>) => Promise<A>
}

const settle = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.failureOption(exit.cause)
  throw Option.isSome(failure) ? failure.value : Runtime.makeFiberFailure(exit.cause)
}

export const makeEdgeRunner = (runtime: EdgeRuntime = Runtime.defaultRuntime): EdgeRunner => {
  const runExit: <A, E>(effect: Effect.Effect<A, E>) => Promise<Exit.Exit<A, E>> = ManagedRuntime.isManagedRuntime(
    runtime
  )
    ? <A, E>(effect: Effect.Effect<A, E>) => runtime.runPromiseExit(effect) as Promise<Exit.Exit<A, E>>
    : Runtime.runPromiseExit(runtime as Runtime.Runtime<never>)
  return {
    run: <A, E>(effect: Effect.Effect<A, E>): Promise<A> => {
      if (Exit.isExit(effect)) {
        try {
          return Promise.resolve(settle(effect as Exit.Exit<A, E>))
        } catch (e) {
          return Promise.reject(e as Error)
        }
      }
      return runExit(effect).then((exit) => settle(exit))
    }
  }
}

/** The runner of the default runtime, for callers that pass none. */
export const defaultEdgeRunner: EdgeRunner = makeEdgeRunner()
