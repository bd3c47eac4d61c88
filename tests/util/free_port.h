// A loopback TCP port for tests that need one nobody listens on.
#ifndef FACET_TESTS_UTIL_FREE_PORT_H_
#define FACET_TESTS_UTIL_FREE_PORT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace facet::testing {

// A port on 127.0.0.1 with nothing listening: the kernel picks a free one
// for a socket that is bound and closed again. Another process could take
// it meanwhile; tests use it only to be refused at once.
inline int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace facet::testing

#endif  // FACET_TESTS_UTIL_FREE_PORT_H_
