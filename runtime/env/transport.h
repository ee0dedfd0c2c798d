// env::Transport: framed, unreliable messaging between nodes.
#pragma once

#include <cstdint>
#include <functional>

#include "runtime/env/bytes.h"

namespace orbit::env {

// A node's address in the cluster. Real mode maps it to host:port through its peer table;
// the simulator uses it directly.
using NodeId = uint32_t;

class Transport {
 public:
  // Called on the node's executor for every frame received, with the sender's id.
  using ReceiveHandler = std::function<void(NodeId from, Bytes frame)>;
  // Called on the node's executor when the connection to a peer is lost (it crashed, closed
  // the connection, or could not be reached). Messages in flight to it may be lost. At
  // least once per loss: one failure may be reported more than once.
  using PeerLostHandler = std::function<void(NodeId peer)>;

  virtual ~Transport() = default;

  // This endpoint's own id.
  virtual NodeId self() const = 0;

  // Queues one frame for `to`. Never blocks and never fails synchronously: delivery is not
  // guaranteed (loss, partitions, crashes), may be duplicated or reordered in the
  // simulator, and is detected only by the protocol above (replies, timeouts). Frames
  // larger than max_frame_bytes() are dropped and reported through the transport's log
  // or history, never truncated.
  virtual void send(NodeId to, Bytes frame) = 0;

  // Installs the handlers; replacing them is allowed, null clears them. Frames that
  // arrive while no receive handler is set are dropped.
  virtual void set_receive_handler(ReceiveHandler handler) = 0;
  virtual void set_peer_lost_handler(PeerLostHandler handler) = 0;

  // The largest frame this transport accepts.
  virtual size_t max_frame_bytes() const = 0;
};

}  // namespace orbit::env
