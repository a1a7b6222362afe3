// The floor: the least work a Durable Object can do to relay a chat
// message. `GET /ws?room=NAME` opens a hibernating WebSocket in the room
// NAME, and every text frame is sent on to the other sockets of that room.
import { DurableObject } from "cloudflare:workers";

interface Env {
  ROOM: DurableObjectNamespace<BroadcastRoom>;
}

/** A room that relays each frame to every other socket, storing nothing. */
export class BroadcastRoom extends DurableObject<Env> {
  override fetch(): Response {
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override webSocketMessage(
    sender: WebSocket,
    frame: string | ArrayBuffer,
  ): void {
    for (const socket of this.ctx.getWebSockets()) {
      if (socket !== sender) socket.send(frame);
    }
  }

  override webSocketClose(socket: WebSocket, code: number): void {
    socket.close(code, "closed");
  }
}

export default {
  fetch(request: Request, env: Env): Response | Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== "/ws")
      return new Response("not found", { status: 404 });
    const room = url.searchParams.get("room") ?? "default";
    return env.ROOM.get(env.ROOM.idFromName(room)).fetch(request);
  },
} satisfies ExportedHandler<Env>;
