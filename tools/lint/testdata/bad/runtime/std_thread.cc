void spawn() {
  std::thread t([] {});
  t.join();
}
