/** The distributed mode's housekeeping, for suites that run replicas: open Redis, and remove a run's queues and keys. */
export { openRedis } from "./Connections.js"
export { deleteTopology } from "./RabbitInbox.js"
export { deleteNamespace } from "./RedisLinkStore.js"
