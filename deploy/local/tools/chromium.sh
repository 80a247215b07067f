# Chromium from Debian's package, for the browser tests (playwright-core drives /usr/bin/chromium;
# neither it nor the tests download a browser). Not a server: `stack.sh up` installs it once.
install_chromium() {
  [[ -x /usr/bin/chromium ]] && return 0
  apt_install chromium
}
