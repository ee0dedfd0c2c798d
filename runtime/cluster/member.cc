#include "runtime/cluster/member.h"

namespace orbit::cluster {

std::string to_string(const Member& member) {
  return member.name + "@" + std::to_string(member.incarnation);
}

}  // namespace orbit::cluster
