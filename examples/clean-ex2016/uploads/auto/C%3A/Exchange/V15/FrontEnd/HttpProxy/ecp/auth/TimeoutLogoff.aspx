<%@ Page language="c#" Inherits="Microsoft.Exchange.HttpProxy.TimeoutLogoff" %>
<html><body>Signed out</body></html>
