# Installation and the Debian package (issue 7). `cpack -G DEB` in a build tree (scripts/package.sh
# does it from the release preset) makes maintd_<version>_<arch>.deb holding:
#   /usr/bin/maintd
#   /usr/lib/systemd/system/maintd.service, /usr/lib/sysusers.d/maintd.conf,
#   /usr/lib/tmpfiles.d/maintd.conf
#   /etc/maintd/maintd.yaml and /etc/maintd/schedules.d/*.yaml (conffiles: upgrades keep edits)
#   /usr/share/doc/maintd/ (README and docs/)
# The maintainer scripts (packaging/debian/) create the user and the state directory and bring
# the state database's schema up to date; they start nothing the administrator did not enable.
set(maintd_packaging ${PROJECT_SOURCE_DIR}/packaging)

install(TARGETS maintd RUNTIME DESTINATION bin)
install(FILES ${maintd_packaging}/maintd.service DESTINATION lib/systemd/system)
install(FILES ${maintd_packaging}/maintd.sysusers DESTINATION lib/sysusers.d RENAME maintd.conf)
install(FILES ${maintd_packaging}/maintd.tmpfiles DESTINATION lib/tmpfiles.d RENAME maintd.conf)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/doc/maintd)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION share/doc/maintd)

# Configuration lives in /etc whatever the prefix, and every file there is a conffile.
set(maintd_conffiles /etc/maintd/maintd.yaml)
install(FILES ${maintd_packaging}/etc/maintd.yaml DESTINATION /etc/maintd)
file(GLOB maintd_example_schedules CONFIGURE_DEPENDS ${maintd_packaging}/etc/schedules.d/*.yaml)
install(FILES ${maintd_example_schedules} DESTINATION /etc/maintd/schedules.d)
foreach(schedule ${maintd_example_schedules})
  get_filename_component(name ${schedule} NAME)
  list(APPEND maintd_conffiles /etc/maintd/schedules.d/${name})
endforeach()
list(JOIN maintd_conffiles "\n" maintd_conffiles_text)
file(WRITE ${PROJECT_BINARY_DIR}/debian/conffiles "${maintd_conffiles_text}\n")
foreach(script postinst prerm postrm)
  configure_file(${maintd_packaging}/debian/${script} ${PROJECT_BINARY_DIR}/debian/${script}
                 COPYONLY FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
                 GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME maintd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "maintd developers <maintd@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
# CPack puts the summary first; this is the extended description below it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "maintd fires maintenance tasks (releasing expired claims, cleaning stale runs,\nfailing orphaned jobs) on cron schedules, records every run, and runs as a\nhardened systemd service.")
# Libraries from dpkg-shlibdeps; time zones are read at run time from tzdata.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "tzdata")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_BINARY_DIR}/debian/conffiles ${PROJECT_BINARY_DIR}/debian/postinst
    ${PROJECT_BINARY_DIR}/debian/prerm ${PROJECT_BINARY_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
