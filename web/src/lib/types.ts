/** Shapes of the /api/v2 documents the canvas works with (see core/graph.py, core/registry.py).
 * Answers are generated from the OpenAPI document into ./api-types.ts (scripts/api_types.py); the
 * names below alias them where they match, and spell by hand what the wire carries as free-form
 * JSON (the graph document, node outputs, parameter schemas). */
import type { components } from "./api-types";

type Schemas = components["schemas"];

export type SocketType = "image" | "video" | "audio" | "text" | "media" | "gpu";

export interface SocketSpec {
  name: string;
  type: SocketType;
  required: boolean;
  label: string;
  description?: string | null;
}

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  widget?: string;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  $defs?: Record<string, JsonSchema>;
  [key: string]: unknown;
}

export interface NodeSpec {
  type: string;
  version?: string;
  title: string;
  category: string;
  description: string;
  gpu: boolean;
  executable: boolean;
  tags?: string[];
  inputs: SocketSpec[];
  outputs: SocketSpec[];
  params_schema: JsonSchema;
  /** Kinds of installed model of which the node needs one to run (empty or absent: it runs without). */
  model_kinds?: string[];
}

export interface Position {
  x: number;
  y: number;
}

export interface GraphNode {
  id: string;
  type: string;
  position: Position;
  params: Record<string, unknown>;
  title?: string | null;
  notes?: string | null;
  width?: number | null;
  height?: number | null;
  parent_id?: string | null;
  ui?: Record<string, unknown>;
  mode?: "normal" | "bypass" | "mute";
}

export interface GraphEdge {
  id: string;
  source: string;
  source_handle: string;
  target: string;
  target_handle: string;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}


export interface SessionDoc extends SessionSummary {
  graph: Graph;
  viewport: Viewport | null;
  tabs: unknown[] | null;
}


/** A node output that is media (outputs name it media_id / kind; the gallery says id / media_type).
 * Spelled by hand: node outputs are free-form on the wire (api/v2/schemas.py MediaOutputPublic). */
export interface MediaOutput {
  media_id: string;
  kind: "image" | "video" | "audio" | string;
  mime?: string | null;
  width?: number | null;
  height?: number | null;
  duration?: number | null;
  url: string;
}

export type OutputValue = MediaOutput | string | number | boolean | null | unknown[] | Record<string, unknown>;

export type NodeStatus =
  | "idle"
  | "queued"
  | "running"
  | "succeeded"
  | "cached"
  | "failed"
  | "canceled"
  | "skipped"
  | "interrupted";

export interface ApiErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

export interface NodeRunState {
  status: NodeStatus;
  progress: number;
  message?: string | null;
  error?: ApiErrorBody | null;
  outputs?: Record<string, OutputValue> | null;
  /** The outputs are from older settings or inputs: still shown (dimmed), no longer current. */
  outdated?: boolean;
  /** Shown in place of the node's own state: this loop iteration's (the canvas previews one iteration). */
  previewOf?: string;
}

export type SessionSummary = Schemas["SessionSummaryPublic"];
export type MediaItem = Schemas["MediaPublic"];
export type InstalledModel = Schemas["ModelPublic"];
export type ImportCandidate = Schemas["ImportCandidatePublic"];
export type MediaGroup = Schemas["MediaGroupPublic"];
export type ContentCredentials = Schemas["ContentCredentialsPublic"];
export type ApiKeyStatus = Schemas["ApiKeyPublic"];
export type Me = Schemas["UserPublic"];
