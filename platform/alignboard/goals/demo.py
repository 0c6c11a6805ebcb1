def install(echo=print):
    return {}
