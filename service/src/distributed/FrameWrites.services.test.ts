/**
 * amqplib writes each frame with its own socket write; `coalesceFrameWrites` makes one write round of frames one
 * `writev`. Against the real broker: twenty confirmed publishes made in one turn, on a patched connection and on a
 * plain one, counting the socket's writes.
 */
import { Socket } from "node:net"
import amqp, { type ChannelModel } from "amqplib"
import { describe, expect, it } from "vitest"
import { coalesceFrameWrites } from "./RabbitInbox.js"
import { RABBITMQ_URL } from "./testSupport.js"

/** Publish `n` messages in one turn on a fresh confirm channel; the socket writes made meanwhile. */
const writesFor = async (coalesce: boolean, n: number): Promise<{ writes: number; confirmed: number }> => {
  const m: ChannelModel = await amqp.connect(RABBITMQ_URL)
  try {
    if (coalesce) coalesceFrameWrites(m)
    const ch = await m.createConfirmChannel()
    const { queue } = await ch.assertQueue("", { exclusive: true, autoDelete: true })
    const socket = (m as unknown as { connection: { stream: Socket } }).connection.stream
    expect(socket).toBeInstanceOf(Socket)
    let writes = 0
    const write = socket._write.bind(socket)
    const writev = socket._writev?.bind(socket)
    socket._write = (...args: Parameters<Socket["_write"]>) => {
      writes++
      write(...args)
    }
    if (writev !== undefined)
      socket._writev = (...args: Parameters<NonNullable<Socket["_writev"]>>) => {
        writes++
        writev(...args)
      }
    let confirmed = 0
    await Promise.all(
      Array.from(
        { length: n },
        (_, i) =>
          new Promise<void>((resolve, reject) =>
            ch.sendToQueue(queue, Buffer.from(`message ${i}`), { persistent: true }, (err: unknown) => {
              if (err) reject(err instanceof Error ? err : new Error(String(err)))
              else {
                confirmed++
                resolve()
              }
            })
          )
      )
    )
    const counted = writes
    socket._write = write
    if (writev !== undefined) socket._writev = writev
    await ch.close()
    return { writes: counted, confirmed }
  } finally {
    await m.close()
  }
}

describe("coalesceFrameWrites", () => {
  it("sends a turn's publishes (three frames each) in one socket write instead of one write per frame", async () => {
    const plain = await writesFor(false, 20)
    const coalesced = await writesFor(true, 20)
    expect(plain.confirmed).toBe(20)
    expect(coalesced.confirmed).toBe(20)
    expect(plain.writes).toBeGreaterThanOrEqual(20)
    expect(coalesced.writes).toBeGreaterThanOrEqual(1)
    expect(coalesced.writes).toBeLessThanOrEqual(2)
  })
})
