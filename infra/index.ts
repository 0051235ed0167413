/**
 * The Workbridge Pulumi program (`pulumi up` from the repository root; see docs/provisioning.md):
 * reads the `workbridge:*` stack config, loads the catalog, declares the stack and exports what the service needs.
 */
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import * as pulumi from "@pulumi/pulumi"
import { loadCatalog } from "./src/build/catalog.js"
import { readStackConfig } from "./src/build/config.js"
import { defineStack } from "./src/program.js"

// Raw values (secrets included) are read once and re-wrapped as Pulumi secrets where they are used.
const config = readStackConfig((key) => pulumi.runtime.getConfig(`workbridge:${key}`))
const catalog = loadCatalog(config.catalogFile, (file) => readFileSync(resolve(file), "utf8"))
const stack = defineStack(config, catalog)

export const region = stack.region
export const gatewayUrl = stack.gatewayUrl
export const workbinId = stack.workbinId
export const schemaId = stack.schemaId
export const worktypeId = stack.worktypeId
export const worktypeName = stack.worktypeName
export const statusIds = stack.statusIds
export const roleId = stack.roleId
export const permissions = stack.permissions
export const clientId = stack.clientId
export const clientSecret = stack.clientSecret
export const integrationId = stack.integrationId
export const dataActionIds = stack.dataActionIds
export const dataActionBasicAuth = stack.dataActionBasicAuth
export const writeBackWorkflowId = stack.writeBackWorkflowId
export const writeBackTriggerId = stack.writeBackTriggerId
