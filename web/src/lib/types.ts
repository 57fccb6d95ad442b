/** Shapes of the /api/v2 documents the canvas works with (see core/graph.py, core/registry.py). */

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

export interface SessionSummary {
  id: string;
  name: string;
  version: number;
  role: string;
  node_count: number;
  created_at: string;
  updated_at: string;
}

export interface SessionDoc extends SessionSummary {
  graph: Graph;
  viewport: Viewport | null;
  tabs: unknown[] | null;
}

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
}

export interface MediaItem {
  id: string;
  media_type: "image" | "video" | "audio" | string;
  mime: string;
  filename: string;
  size_bytes: number;
  width?: number | null;
  height?: number | null;
  duration?: number | null;
  origin?: string | null;
  session_id?: string | null;
  node_id?: string | null;
  created_at: string;
  url: string;
}

export interface MediaGroup {
  session_id: string | null;
  session_name: string | null;
  items: MediaItem[];
}

export interface ApiKeyStatus {
  enabled: boolean;
  has_key: boolean;
  prefix: string | null;
  created_at: string | null;
  api_key?: string;
}

export interface Me {
  id: string;
  email: string;
  is_admin: boolean;
  created_at: string;
}
