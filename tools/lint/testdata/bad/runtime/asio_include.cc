// Fixture: Boost network library include.
#include <boost/asio.hpp>
