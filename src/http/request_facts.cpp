#include "albatross/http/request_facts.hpp"

namespace albatross::http {

RequestFacts RequestFacts::from(const RequestHead& head) {
  RequestFacts facts;
  facts.body = head.body;
  facts.content_length = head.content_length;
  facts.keep_alive = head.keep_alive;
  facts.http10 = head.version == 10;
  facts.is_head = head.is_head;
  facts.upgrade = head.upgrade;
  facts.expect_continue = head.expect_continue && head.version == 11;
  facts.idempotent = head.idempotent();
  facts.host_missing = head.host.empty();
  if (head.upgrade) facts.upgrade_protocol = head.upgrade_protocol;
  return facts;
}

}  // namespace albatross::http
